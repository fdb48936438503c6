"""The API's shapes are written once, in `tradeburst.wire`, and both sides read them there:
the names are pinned, the package holds no server code, and a client's narrower reads
agree with the full shapes the exchange sends."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

import tradeburst.wire as wire
from tradeburst.model import (
    FunctionType,
    MarketType,
    OrderStatus,
    OrderType,
    PriceType,
    Side,
    TimeInForce,
)


def test_the_public_names_are_pinned() -> None:
    """`tradeburst.wire.__all__` lists exactly these names, sorted, and each one exists."""
    assert wire.__all__ == [
        "MAX_BATCH_ORDERS",
        "AdminOrder",
        "AdminOrders",
        "AdminStats",
        "Answer",
        "BatchAnswer",
        "BatchBody",
        "BatchCancelBody",
        "BatchModifyPriceBody",
        "BatchModifyQuantityBody",
        "BookLevel",
        "BookSnapshot",
        "ChannelSnapshot",
        "ChannelUpdate",
        "CountedEnvelope",
        "Envelope",
        "ErrorFrame",
        "FillBrief",
        "FillEvent",
        "FilledData",
        "Frame",
        "LimitWindow",
        "LimitsAnswer",
        "ModifyPriceBody",
        "ModifyQuantityBody",
        "OrderAnswer",
        "OrderBrief",
        "OrderEvent",
        "OrderResult",
        "PlaceOrderBody",
        "PositionData",
        "PriceChange",
        "QuantityChange",
        "Quote",
        "StreamStart",
        "Subscription",
        "SubscriptionFrame",
        "SymbolInfo",
        "TimeAnswer",
        "TradeData",
        "decode_batch_answer",
        "decode_order_answer",
        "envelope_decoder",
        "error_frame",
        "order_body",
        "price_of",
    ]
    assert all(hasattr(wire, name) for name in wire.__all__)


def test_the_wire_imports_neither_aiohttp_nor_the_exchange() -> None:
    """No module of `tradeburst.wire` imports aiohttp or `tradeburst.exchange`."""
    imported: set[str] = set()
    for path in Path(wire.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert not {m for m in imported if m.startswith(("aiohttp", "tradeburst.exchange"))}


def _record() -> wire.OrderResult:
    return wire.OrderResult(
        function_type=FunctionType.NEW,
        date="2026/11/25",
        seq_no="00000000001",
        branch_no="6460",
        account="9800001",
        order_no="00001",
        market_type=MarketType.COMMON,
        stock_no="2891",
        buy_sell=Side.BUY,
        price_type=PriceType.LIMIT,
        price=Decimal("40.65"),
        quantity=2000,
        time_in_force=TimeInForce.ROD,
        order_type=OrderType.STOCK,
        status=OrderStatus.ACCEPTED,
        after_price_type=PriceType.LIMIT,
        after_price=Decimal("40.65"),
        after_qty=2000,
        filled_qty=1000,
        user_def="A1",
        last_time="09:00:00.123",
        received_ns=1,
    )


def test_an_order_brief_is_a_part_of_the_order_result() -> None:
    """Each field of `OrderBrief` is a field of `OrderResult`, and reads the same value."""
    record = _record()
    brief_fields = set(wire.OrderBrief.__struct_fields__)
    assert brief_fields <= set(wire.OrderResult.__struct_fields__)
    raw = msgspec.json.encode(wire.Envelope(is_success=True, data=record))
    brief = wire.decode_order_answer(raw).data
    for name in brief_fields:
        assert getattr(brief, name) == getattr(record, name), name
    batch = msgspec.json.encode(wire.Envelope(is_success=True, data=[record, record]))
    assert wire.decode_batch_answer(batch).data == [brief, brief]


def test_a_fill_brief_is_a_part_of_the_filled_data() -> None:
    """Each field of `FillBrief` is a field of `FilledData`, and reads the same value from
    the day's fills as the exchange sends them (the price as its exact text)."""
    filled = wire.FilledData(
        date="2026/11/25", branch_no="6460", account="9800001", seq_no="00000000001",
        order_no="00001", stock_no="2891", buy_sell=Side.SELL, order_type=OrderType.STOCK,
        filled_no="00000000007", filled_avg_price=Decimal("40.60"), filled_qty=1000,
        filled_price=Decimal("40.65"), filled_time="09:00:00.123", user_def="A1", filled_ns=9,
    )  # fmt: skip
    brief_fields = set(wire.FillBrief.__struct_fields__)
    assert brief_fields <= set(wire.FilledData.__struct_fields__)
    raw = msgspec.json.encode(wire.Envelope(is_success=True, data=[filled, filled]))
    briefs = wire.envelope_decoder(list[wire.FillBrief])(raw).data
    assert len(briefs) == 2
    for name in brief_fields - {"filled_price"}:
        assert getattr(briefs[1], name) == getattr(filled, name), name
    assert briefs[1].filled_price == "40.65"


def test_an_answer_reads_its_data_as_its_kind_or_not_at_all() -> None:
    """`envelope_decoder(kind)` reads `data` as `kind` in the same pass, and refuses an
    answer whose data is not of that kind (the caller then reads it as an `Envelope`)."""
    record = _record()
    raw = msgspec.json.encode(wire.Envelope(is_success=True, data=[record]))
    answer = wire.envelope_decoder(list[wire.OrderBrief])(raw)
    assert answer.is_success
    assert answer.data[0].order_no == record.order_no
    assert answer.data[0].status == int(record.status)
    refusal = msgspec.json.encode(wire.Envelope(is_success=False, message="no", data="x"))
    with pytest.raises(msgspec.ValidationError):
        wire.envelope_decoder(list[wire.OrderBrief])(refusal)


def test_a_frame_reads_every_frame_the_exchange_sends() -> None:
    """Every frame the exchange sends decodes as a `Frame` with the same fields."""
    trade = wire.TradeData(
        symbol="2891", price=Decimal("40.65"), size=1000, volume=5000, time=7, opening=True
    )
    sent: list[object] = [
        wire.StreamStart(epoch=1, seq=0),
        wire.OrderEvent(seq=1, data=_record()),
        wire.ChannelSnapshot(channel="trades", symbol="2891", epoch=1, seq=3, data=None),
        wire.ChannelUpdate(channel="trades", symbol="2891", seq=4, data=trade),
        wire.SubscriptionFrame(
            event="subscribed", data=wire.Subscription(channel="books", symbol="2891")
        ),
        wire.error_frame("frames must be JSON objects"),
    ]
    for frame in sent:
        raw = msgspec.json.encode(frame)
        read = msgspec.json.decode(raw, type=wire.Frame)
        assert msgspec.to_builtins(read) | msgspec.json.decode(raw) == msgspec.to_builtins(read)
    read = msgspec.json.decode(msgspec.json.encode(sent[3]), type=wire.Frame)
    assert msgspec.convert(read.data, wire.TradeData) == trade
    assert b'"isOpen":true' in msgspec.json.encode(trade)
