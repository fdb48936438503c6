"""Fugle's views of a symbol, built from the exchange's market and the day's tape: the
intraday ticker, quote (also the `aggregates` channel), trades, candles and volume at
price, and the payloads of the `trades`, `books` and `candles` channels. Every price is a
`Decimal` from the book's integer cents; averages and percentages are rounded to 0.01.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict

from tradeburst.exchange._market import Market
from tradeburst.exchange._prices import price_of_cents
from tradeburst.exchange.fugle._shapes import (
    EXCHANGE,
    MARKET,
    SECURITY_TYPE,
    BooksPayload,
    Level,
    QuotePayload,
    TickerPayload,
    Total,
    TradeInfo,
    TradePayload,
    TradeRow,
    VolumeAtPrice,
)
from tradeburst.exchange.fugle._tape import SymbolDay, Tick
from tradeburst.rules import BOARD_LOT_SHARES, Phase, from_cents

__all__ = [
    "Listing",
    "books_payload",
    "listing",
    "quote",
    "round_cents",
    "ticker",
    "trade_info",
    "trade_payload",
    "trade_row",
    "volumes",
]

_CENT = Decimal("0.01")


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _date(market: Market) -> str:
    return market.day.isoformat()


class Listing(TypedDict):
    """Which listing a payload is of, in Fugle's words (and, for a dict, its key order)."""

    type: str
    exchange: str
    market: str
    symbol: str


def listing(symbol: str) -> Listing:
    return Listing(type=SECURITY_TYPE, exchange=EXCHANGE, market=MARKET, symbol=symbol)


def _levels(depth: list[tuple[int, int]]) -> list[Level]:
    return [Level(price=from_cents(p), size=q // BOARD_LOT_SHARES) for p, q in depth]


class _TradeFields(TypedDict):
    """What every one of Fugle's trade records says of a print (keyword arguments: the
    struct, not this, orders the JSON keys)."""

    bid: Decimal | None
    ask: Decimal | None
    price: Decimal
    size: int
    time: int
    serial: int


def _trade_fields(tick: Tick) -> _TradeFields:
    return _TradeFields(
        bid=tick.bid,
        ask=tick.ask,
        price=tick.price,
        size=tick.size,
        time=tick.time_us,
        serial=tick.serial,
    )


def trade_payload(symbol: str, tick: Tick) -> TradePayload:
    return TradePayload(
        **listing(symbol),
        volume=tick.volume,
        is_trial=tick.trial,
        is_open=tick.flag == "isOpen",
        is_close=tick.flag == "isClose",
        **_trade_fields(tick),
    )


def trade_info(tick: Tick) -> TradeInfo:
    return TradeInfo(**_trade_fields(tick))


def trade_row(tick: Tick) -> TradeRow:
    return TradeRow(volume=tick.volume, **_trade_fields(tick))


def books_payload(market: Market, symbol: str) -> BooksPayload:
    bids, asks = market.books[symbol].depth(5)
    return BooksPayload(
        **listing(symbol),
        bids=_levels(bids),
        asks=_levels(asks),
        time=market.clock.now_ns() // 1000,
    )


def ticker(market: Market, symbol: str) -> TickerPayload:
    listed = market.symbols[symbol]
    band = listed.band
    return TickerPayload(
        date=_date(market),
        **listing(symbol),
        name=listed.name,
        reference_price=band.reference_twd,
        limit_up_price=band.limit_up_twd,
        limit_down_price=band.limit_down_twd,
        previous_close=band.reference_twd,
        can_day_trade=True,
        can_buy_day_trade=True,
        is_attention=False,
        is_disposition=False,
        matching_interval=0,
        security_status="NORMAL",
        board_lot=BOARD_LOT_SHARES,
        trading_currency="TWD",
    )


def quote(market: Market, symbol: str, day: SymbolDay) -> QuotePayload:
    band = market.symbols[symbol].band
    reference = band.reference_twd
    bids, asks = market.books[symbol].depth(5)
    best_bid = from_cents(bids[0][0]) if bids else None
    best_ask = from_cents(asks[0][0]) if asks else None
    last, first, high, low = day.last, day.first, day.high, day.low
    phase = market.phase()
    now_us = market.clock.now_ns() // 1000
    change = last.price - reference if last else None
    return QuotePayload(
        date=_date(market),
        **listing(symbol),
        name=market.symbols[symbol].name,
        reference_price=reference,
        previous_close=reference,
        open_price=first.price if first else None,
        open_time=first.time_us if first else None,
        high_price=high.price if high else None,
        high_time=high.time_us if high else None,
        low_price=low.price if low else None,
        low_time=low.time_us if low else None,
        close_price=last.price if last else None,
        close_time=last.time_us if last else None,
        last_price=last.price if last else None,
        last_size=last.size if last else None,
        avg_price=round_cents(day.value_twd / (day.lots * BOARD_LOT_SHARES)) if day.lots else None,
        change=change,
        change_percent=round_cents(change / reference * 100) if change is not None else None,
        amplitude=round_cents((high.price - low.price) / reference * 100) if high and low else None,
        bids=_levels(bids),
        asks=_levels(asks),
        total=Total(
            trade_value=day.value_twd,
            trade_volume=day.lots,
            trade_volume_at_bid=day.lots_at_bid,
            trade_volume_at_ask=day.lots_at_ask,
            transaction=day.transactions,
            time=last.time_us if last else now_us,
        ),
        last_trade=trade_info(last) if last else None,
        last_trial=trade_info(day.last_trial) if day.last_trial else None,
        is_limit_down_price=last is not None and last.price == band.limit_down_twd,
        is_limit_up_price=last is not None and last.price == band.limit_up_twd,
        is_limit_down_bid=best_bid == band.limit_down_twd,
        is_limit_up_bid=best_bid == band.limit_up_twd,
        is_limit_down_ask=best_ask == band.limit_down_twd,
        is_limit_up_ask=best_ask == band.limit_up_twd,
        is_limit_down_halt=False,
        is_limit_up_halt=False,
        is_trial=phase.is_call,
        is_delayed_open=False,
        is_delayed_close=False,
        is_continuous=phase is Phase.CONTINUOUS,
        is_open=first is not None,
        is_close=day.closed,
        last_updated=now_us,
    )


def volumes(day: SymbolDay) -> list[VolumeAtPrice]:
    """Volume at each traded price, highest price first."""
    return [
        VolumeAtPrice(
            price=price_of_cents(cents), volume=lots, volume_at_bid=at_bid, volume_at_ask=at_ask
        )
        for cents, (lots, at_bid, at_ask) in sorted(day.lots_at_cents.items(), reverse=True)
    ]
