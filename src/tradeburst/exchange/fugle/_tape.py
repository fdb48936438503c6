"""The day's market record of each symbol, kept as Fugle serves it: a market listener that
turns the exchange's own trade prints and trial matches (the one source every market-data
view reads) into Fugle's ticks, with the best bid and ask each met, running totals, volume
at each price split by side, and one-minute bars.

The record lives as long as the trading day: when the market starts a new day, the next
event or read finds an empty record. What it keeps is bounded: the latest
`MAX_KEPT_TRADES` prints and `MAX_KEPT_TRIALS` trial matches per symbol (totals, bars and
volumes count every print); a day has at most 1440 bars.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tradeburst.exchange._events import MarketListener, TradePrint
from tradeburst.exchange._market import Market
from tradeburst.rules import BOARD_LOT_SHARES, from_cents

__all__ = ["MAX_KEPT_TRADES", "MAX_KEPT_TRIALS", "Bar", "SymbolDay", "Tape", "Tick"]

MAX_KEPT_TRADES = 20_000
MAX_KEPT_TRIALS = 1_000
MINUTE_NS = 60_000_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """A print or a trial match; `size` and `volume` (the day's, after it) in lots."""

    bid: Decimal | None
    ask: Decimal | None
    price: Decimal
    size: int
    volume: int
    time_us: int
    serial: int
    trial: bool = False
    flag: str | None = None


@dataclass(slots=True, kw_only=True)
class Bar:
    """One minute of prints; `value_twd` and `volume` are the day's totals at its end."""

    start_ns: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    lots: int
    day_value_twd: Decimal
    day_lots: int


@dataclass(slots=True)
class SymbolDay:
    trades: deque[Tick] = field(default_factory=lambda: deque(maxlen=MAX_KEPT_TRADES))
    trials: deque[Tick] = field(default_factory=lambda: deque(maxlen=MAX_KEPT_TRIALS))
    first: Tick | None = None
    high: Tick | None = None
    low: Tick | None = None
    value_twd: Decimal = Decimal(0)
    lots: int = 0
    lots_at_bid: int = 0
    lots_at_ask: int = 0
    transactions: int = 0
    serial: int = 0
    closed: bool = False
    at_price: dict[Decimal, list[int]] = field(default_factory=dict)
    """price -> [lots, lots at the bid, lots at the ask]"""
    bars: dict[int, Bar] = field(default_factory=dict)
    best_cents: tuple[int | None, int | None] = (None, None)

    @property
    def last(self) -> Tick | None:
        return self.trades[-1] if self.trades else None

    @property
    def last_trial(self) -> Tick | None:
        return self.trials[-1] if self.trials else None

    def best(self) -> tuple[Decimal | None, Decimal | None]:
        bid, ask = self.best_cents
        return (
            from_cents(bid) if bid is not None else None,
            from_cents(ask) if ask is not None else None,
        )

    def record(self, print_: TradePrint) -> Tick:
        bid, ask = self.best()
        lots = print_.quantity // BOARD_LOT_SHARES
        self.serial += 1
        self.lots += lots
        self.transactions += 1
        self.value_twd += print_.price * print_.quantity
        side = self.at_price.get(print_.price)
        if side is None:
            side = self.at_price[print_.price] = [0, 0, 0]
        side[0] += lots
        if print_.flag is None and ask is not None and print_.price >= ask:
            self.lots_at_ask += lots
            side[2] += lots
        elif print_.flag is None and bid is not None and print_.price <= bid:
            self.lots_at_bid += lots
            side[1] += lots
        tick = Tick(
            bid=bid,
            ask=ask,
            price=print_.price,
            size=lots,
            volume=self.lots,
            time_us=print_.time_ns // 1000,
            serial=self.serial,
            flag=print_.flag,
        )
        self.first = self.first or tick
        if self.high is None or tick.price > self.high.price:
            self.high = tick
        if self.low is None or tick.price < self.low.price:
            self.low = tick
        self.closed = self.closed or print_.flag == "isClose"
        self.trades.append(tick)
        self._bar(print_.time_ns, tick)
        return tick

    def _bar(self, time_ns: int, tick: Tick) -> None:
        start_ns = time_ns // MINUTE_NS * MINUTE_NS
        bar = self.bars.get(start_ns)
        if bar is None:
            self.bars[start_ns] = bar = Bar(
                start_ns=start_ns,
                open=tick.price,
                high=tick.price,
                low=tick.price,
                close=tick.price,
                lots=0,
                day_value_twd=self.value_twd,
                day_lots=self.lots,
            )
        bar.high = max(bar.high, tick.price)
        bar.low = min(bar.low, tick.price)
        bar.close = tick.price
        bar.lots += tick.size
        bar.day_value_twd = self.value_twd
        bar.day_lots = self.lots

    def trial(self, price: Decimal, shares: int, time_ns: int) -> Tick:
        bid, ask = self.best()
        self.serial += 1
        tick = Tick(
            bid=bid,
            ask=ask,
            price=price,
            size=shares // BOARD_LOT_SHARES,
            volume=self.lots,
            time_us=time_ns // 1000,
            serial=self.serial,
            trial=True,
        )
        self.trials.append(tick)
        return tick


class Tape(MarketListener):
    """Every symbol's `SymbolDay`; tells `on_tick` of each new tick and `on_book` of each
    book change, after recording them."""

    def __init__(
        self,
        market: Market,
        on_tick: Callable[[str, Tick], None],
        on_book: Callable[[str], None],
    ) -> None:
        self._market = market
        self._on_tick = on_tick
        self._on_book = on_book
        self._day = market.day
        self._days: dict[str, SymbolDay] = {}

    def of(self, symbol: str) -> SymbolDay:
        """Today's record of a listed symbol."""
        if self._market.day != self._day:
            self._day = self._market.day
            self._days.clear()
        day = self._days.get(symbol)
        if day is None:
            day = self._days[symbol] = SymbolDay()
            self._read_best(symbol, day)
        return day

    def _read_best(self, symbol: str, day: SymbolDay) -> None:
        book = self._market.books[symbol]
        day.best_cents = (book.best_bid(), book.best_ask())

    def traded(self, print_: TradePrint) -> None:
        tick = self.of(print_.symbol).record(print_)
        self._on_tick(print_.symbol, tick)

    def book_changed(self, symbol: str) -> None:
        # Read after the prints it follows: they met the best prices standing before it.
        self._read_best(symbol, self.of(symbol))
        self._on_book(symbol)

    def trial(self, symbol: str, price: Decimal, shares: int, time_ns: int) -> None:
        """A trial match the exchange published (call phases)."""
        tick = self.of(symbol).trial(price, shares, time_ns)
        self._on_tick(symbol, tick)
