"""The answers of the API: the envelope every account route answers in (it mirrors the
Fubon SDK's `Result{is_success, message, data}`) and what goes in it for the clock, the
limits, the symbols and the quotes, as msgspec structs the exchange fills, the OpenAPI
description is generated from and a client decodes. An order action answers in a
`CountedEnvelope`: the envelope plus the stamp the broker's rate limit counted the request
by. `OrderAnswer` and `BatchAnswer` are a client's one-pass read of an order action's
answer, into `OrderBrief`s."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from tradeburst.rules import Phase
from tradeburst.wire._records import OrderBrief

__all__ = [
    "Answer",
    "BatchAnswer",
    "BookLevel",
    "BookSnapshot",
    "CountedEnvelope",
    "Envelope",
    "LimitWindow",
    "LimitsAnswer",
    "OrderAnswer",
    "Quote",
    "SymbolInfo",
    "TimeAnswer",
    "decode_batch_answer",
    "decode_order_answer",
    "envelope_decoder",
]

T = TypeVar("T")


class Envelope(msgspec.Struct, kw_only=True):
    is_success: bool
    message: str | None = None
    data: Any = None


COUNTED_NS = (
    "The stamp the exchange's rate limiter counted this request by: its arrival, when the"
    " first byte of the request reached the exchange's socket, plus the modelled inbound"
    " network trip (or, for a request the late fault held, the end of its hold), not when the"
    " exchange got round to handling it. Nanoseconds since the Unix epoch on the exchange's"
    " clock (the one GET /v1/time reads), truncated to the resolution /v1/limits gives"
    " (counted_resolution_ns). The windows are judged by these stamps. Null when the"
    " exchange does not stamp (its session clock runs at another speed than its rate"
    " windows)."
)


class CountedEnvelope(Envelope, kw_only=True):
    """The answer to an order action (a placement, a batch, a cancel, a change): the
    envelope, and when the broker's rate limit counted the request."""

    counted_ns: Annotated[int | None, msgspec.Meta(description=COUNTED_NS)] = None


class OrderAnswer(msgspec.Struct, kw_only=True):
    """The envelope of one order action, its `OrderResult` read as an `OrderBrief`."""

    is_success: bool
    message: str | None = None
    data: OrderBrief
    counted_ns: int | None = None


class BatchAnswer(msgspec.Struct, kw_only=True):
    """The envelope of a batch, one `OrderBrief` per order in the order sent."""

    is_success: bool
    message: str | None = None
    data: list[OrderBrief]
    counted_ns: int | None = None


class Answer(msgspec.Struct, Generic[T], kw_only=True):
    """An `Envelope` whose `data` is read straight into its type, in the same pass."""

    is_success: bool
    message: str | None = None
    data: T


_decoders: dict[object, Callable[[bytes], Answer[Any]]] = {}


def envelope_decoder(kind: object) -> Callable[[bytes], Answer[Any]]:
    """The decoder of an `Answer` of `kind`, built once per kind. A large answer (the
    day's orders or fills) read through a plain `Envelope` first becomes a dict per
    record, many times the size of its struct."""
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(Answer[kind]).decode  # type: ignore[valid-type]
    return decoder


# A burst reads hundreds of these: decoders built once, straight into the briefs.
decode_order_answer = msgspec.json.Decoder(OrderAnswer).decode
decode_batch_answer = msgspec.json.Decoder(BatchAnswer).decode


class LimitWindow(msgspec.Struct, kw_only=True):
    requests: int
    window_s: float


class LimitsAnswer(msgspec.Struct, kw_only=True):
    """The broker limits the exchange enforces on the caller's account, so a client can keep
    under them."""

    account: str
    profile: str
    limits: dict[str, LimitWindow]
    connections: int | None
    batch_counts_orders: bool
    max_batch_orders: int
    suspension_s: float
    always_open: bool = False
    """The exchange takes every kind of order at any hour (started with `--always-open`);
    otherwise TWSE's timetable says when it does."""
    counted_resolution_ns: int | None = None
    """The resolution of the `counted_ns` stamps order actions are answered with; null when
    the answers carry none."""


class TimeAnswer(msgspec.Struct, kw_only=True):
    exchange_time_ns: int
    tz: str = "Asia/Taipei"


class SymbolInfo(msgspec.Struct, kw_only=True):
    symbol: str
    name: str
    kind: str
    reference_price: Decimal
    limitup_price: Decimal
    limitdown_price: Decimal
    tick_bands: list[tuple[Decimal, Decimal]] = []
    """The symbol's tick ladder: (lower bound, tick) per band, lowest first. Not a Fubon
    field: the rehearsal exchange says which ladder it runs (`--tick-above-1000`)."""


class BookLevel(msgspec.Struct, kw_only=True):
    price: Decimal
    size: int


class BookSnapshot(msgspec.Struct, kw_only=True):
    """Five levels a side, best first; `time` in microseconds since the epoch."""

    symbol: str
    bids: list[BookLevel]
    asks: list[BookLevel]
    time: int


class Quote(BookSnapshot, kw_only=True):
    phase: Phase
    reference_price: Decimal
    limitup_price: Decimal
    limitdown_price: Decimal
    last_price: Decimal | None
    total_volume: int
