"""Fugle's candles from the day's one-minute bars: the `candles` channel's bar of a print,
and the intraday candles of any of Fugle's widths, merged from the one-minute bars. A
candle's `date` is its start in Taipei time, its `average` the day's average price up to
its end.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from tradeburst.clock import exchange_datetime
from tradeburst.exchange._prices import price_of_cents
from tradeburst.exchange.fugle._shapes import EXCHANGE, MARKET, SECURITY_TYPE, Candle
from tradeburst.exchange.fugle._tape import MINUTE_NS, Bar, SymbolDay
from tradeburst.exchange.fugle._views import round_cents
from tradeburst.rules import BOARD_LOT_SHARES

__all__ = ["TIMEFRAMES", "candle_payload", "candles"]

TIMEFRAMES = (1, 3, 5, 10, 15, 30, 60)
"""Candle widths in minutes, as Fugle offers them; each divides the day from midnight."""


def _candle(bar: Bar, symbol: str | None = None) -> Candle:
    named = symbol is not None
    return Candle(
        symbol=symbol,
        type=SECURITY_TYPE if named else None,
        exchange=EXCHANGE if named else None,
        market=MARKET if named else None,
        date=exchange_datetime(bar.start_ns).isoformat(timespec="milliseconds"),
        open=price_of_cents(bar.open_cents),
        high=price_of_cents(bar.high_cents),
        low=price_of_cents(bar.low_cents),
        close=price_of_cents(bar.close_cents),
        volume=bar.lots,
        average=round_cents(
            Decimal(bar.day_value_cents).scaleb(-2) / (bar.day_lots * BOARD_LOT_SHARES)
        ),
    )


def candle_payload(symbol: str, day: SymbolDay, time_ns: int) -> Candle | None:
    """The `candles` channel: the one-minute bar a print at `time_ns` went into."""
    bar = day.bars.get(time_ns // MINUTE_NS * MINUTE_NS)
    return _candle(bar, symbol) if bar is not None else None


def candles(day: SymbolDay, minutes: int) -> list[Candle]:
    """The day's bars `minutes` wide (one of `TIMEFRAMES`), oldest first."""
    width_ns = minutes * MINUTE_NS
    merged: dict[int, Bar] = {}
    for bar in sorted(day.bars.values(), key=lambda b: b.start_ns):
        start_ns = bar.start_ns // width_ns * width_ns
        into = merged.get(start_ns)
        if into is None:
            merged[start_ns] = dataclasses.replace(bar, start_ns=start_ns)
            continue
        into.high_cents = max(into.high_cents, bar.high_cents)
        into.low_cents = min(into.low_cents, bar.low_cents)
        into.close_cents = bar.close_cents
        into.lots += bar.lots
        into.day_value_cents = bar.day_value_cents
        into.day_lots = bar.day_lots
    return [_candle(bar) for bar in merged.values()]
