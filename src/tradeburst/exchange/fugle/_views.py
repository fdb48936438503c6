"""Fugle's views of a symbol, built from the exchange's market and the day's tape: the
intraday ticker, quote (also the `aggregates` channel), trades, candles and volume at
price, and the payloads of the `trades`, `books` and `candles` channels. Every price is a
`Decimal` from the book's integer cents; averages and percentages are rounded to 0.01.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from tradeburst.clock import exchange_datetime
from tradeburst.exchange._market import Market
from tradeburst.exchange.fugle._shapes import (
    EXCHANGE,
    MARKET,
    SECURITY_TYPE,
    BooksPayload,
    Candle,
    Level,
    QuotePayload,
    TickerPayload,
    Total,
    TradeInfo,
    TradePayload,
    TradeRow,
    VolumeAtPrice,
)
from tradeburst.exchange.fugle._tape import MINUTE_NS, Bar, SymbolDay, Tick
from tradeburst.rules import BOARD_LOT_SHARES, Phase, from_cents

__all__ = [
    "TIMEFRAMES",
    "books_payload",
    "candle_payload",
    "candles",
    "quote",
    "ticker",
    "trade_info",
    "trade_payload",
    "trade_row",
    "volumes",
]

TIMEFRAMES = (1, 3, 5, 10, 15, 30, 60)
"""Candle widths in minutes, as Fugle offers them; each divides the day from midnight."""

_CENT = Decimal("0.01")


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _date(market: Market) -> str:
    return market.day.isoformat()


def _levels(depth: list[tuple[int, int]]) -> list[Level]:
    return [Level(price=from_cents(p), size=q // BOARD_LOT_SHARES) for p, q in depth]


def trade_payload(symbol: str, tick: Tick) -> TradePayload:
    return TradePayload(
        symbol=symbol,
        type=SECURITY_TYPE,
        exchange=EXCHANGE,
        market=MARKET,
        bid=tick.bid,
        ask=tick.ask,
        price=tick.price,
        size=tick.size,
        volume=tick.volume,
        is_trial=tick.trial,
        is_open=tick.flag == "isOpen",
        is_close=tick.flag == "isClose",
        time=tick.time_us,
        serial=tick.serial,
    )


def trade_info(tick: Tick) -> TradeInfo:
    return TradeInfo(
        bid=tick.bid,
        ask=tick.ask,
        price=tick.price,
        size=tick.size,
        time=tick.time_us,
        serial=tick.serial,
    )


def trade_row(tick: Tick) -> TradeRow:
    return TradeRow(
        bid=tick.bid,
        ask=tick.ask,
        price=tick.price,
        size=tick.size,
        volume=tick.volume,
        time=tick.time_us,
        serial=tick.serial,
    )


def books_payload(market: Market, symbol: str) -> BooksPayload:
    bids, asks = market.books[symbol].depth(5)
    return BooksPayload(
        symbol=symbol,
        type=SECURITY_TYPE,
        exchange=EXCHANGE,
        market=MARKET,
        bids=_levels(bids),
        asks=_levels(asks),
        time=market.clock.now_ns() // 1000,
    )


def ticker(market: Market, symbol: str) -> TickerPayload:
    listed = market.symbols[symbol]
    band = listed.band
    return TickerPayload(
        date=_date(market),
        type=SECURITY_TYPE,
        exchange=EXCHANGE,
        market=MARKET,
        symbol=symbol,
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
        type=SECURITY_TYPE,
        exchange=EXCHANGE,
        market=MARKET,
        symbol=symbol,
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
        avg_price=_round(day.value_twd / (day.lots * BOARD_LOT_SHARES)) if day.lots else None,
        change=change,
        change_percent=_round(change / reference * 100) if change is not None else None,
        amplitude=_round((high.price - low.price) / reference * 100) if high and low else None,
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
        average=_round(bar.day_value_twd / (bar.day_lots * BOARD_LOT_SHARES)),
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


def volumes(day: SymbolDay) -> list[VolumeAtPrice]:
    """Volume at each traded price, highest price first."""
    return [
        VolumeAtPrice(price=price, volume=lots, volume_at_bid=at_bid, volume_at_ask=at_ask)
        for price, (lots, at_bid, at_ask) in sorted(day.at_price.items(), reverse=True)
    ]
