"""Fugle's candles from the day's one-minute bars: the `candles` channel's bar of a print,
and the intraday candles of any of Fugle's widths, merged from the one-minute bars. A
candle's `date` is its start in Taipei time, its `average` the day's average price up to
its end.
"""

from __future__ import annotations

from tradeburst.clock import exchange_datetime
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
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=bar.lots,
        average=round_cents(bar.day_value_twd / (bar.day_lots * BOARD_LOT_SHARES)),
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
            merged[start_ns] = Bar(
                start_ns=start_ns,
                open=bar.open,
                high=bar.high,
                low=bar.low,
                close=bar.close,
                lots=bar.lots,
                day_value_twd=bar.day_value_twd,
                day_lots=bar.day_lots,
            )
            continue
        into.high = max(into.high, bar.high)
        into.low = min(into.low, bar.low)
        into.close = bar.close
        into.lots += bar.lots
        into.day_value_twd = bar.day_value_twd
        into.day_lots = bar.day_lots
    return [_candle(bar) for bar in merged.values()]
