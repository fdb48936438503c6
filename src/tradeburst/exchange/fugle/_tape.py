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

import msgspec

from tradeburst.exchange._events import MarketListener, TradePrint
from tradeburst.exchange._market import Market
from tradeburst.exchange._prices import price_of_cents
from tradeburst.rules import BOARD_LOT_SHARES, to_cents

__all__ = ["MAX_KEPT_TRADES", "MAX_KEPT_TRIALS", "Bar", "SymbolDay", "Tape", "Tick"]

MAX_KEPT_TRADES = 20_000
MAX_KEPT_TRIALS = 1_000
MINUTE_NS = 60_000_000_000


class Tick(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A print or a trial match; `size` and `volume` (the day's, after it) in lots,
    `price` is `price_cents` as a `Decimal`. A struct: one is made per trade."""

    bid: Decimal | None
    ask: Decimal | None
    price: Decimal
    price_cents: int
    size: int
    volume: int
    time_us: int
    serial: int
    trial: bool = False
    flag: str | None = None


@dataclass(slots=True, kw_only=True)
class Bar:
    """One minute of prints, prices in integer cents; `day_value_cents` (cents times
    shares) and `day_lots` are the day's totals at its end."""

    start_ns: int
    open_cents: int
    high_cents: int
    low_cents: int
    close_cents: int
    lots: int
    day_value_cents: int
    day_lots: int


def _price(cents: int | None) -> Decimal | None:
    return price_of_cents(cents) if cents is not None else None


@dataclass(slots=True)
class SymbolDay:
    """Kept in integer cents as the trades come (one `Tick` per print is all that is
    built); the `Decimal` totals are made when a view reads them."""

    trades: deque[Tick] = field(default_factory=lambda: deque(maxlen=MAX_KEPT_TRADES))
    trials: deque[Tick] = field(default_factory=lambda: deque(maxlen=MAX_KEPT_TRIALS))
    first: Tick | None = None
    high: Tick | None = None
    low: Tick | None = None
    value_cents: int = 0
    """The day's traded value: price in cents times shares, summed."""
    lots: int = 0
    lots_at_bid: int = 0
    lots_at_ask: int = 0
    transactions: int = 0
    serial: int = 0
    closed: bool = False
    lots_at_cents: dict[int, list[int]] = field(default_factory=dict)
    """price in cents -> [lots, lots at the bid, lots at the ask]"""
    bars: dict[int, Bar] = field(default_factory=dict)

    @property
    def last(self) -> Tick | None:
        return self.trades[-1] if self.trades else None

    @property
    def last_trial(self) -> Tick | None:
        return self.trials[-1] if self.trials else None

    @property
    def value_twd(self) -> Decimal:
        """The day's traded value in TWD, exact to the cent (0 before the first print)."""
        return Decimal(self.value_cents).scaleb(-2) if self.transactions else Decimal(0)

    def record(self, print_: TradePrint) -> Tick:
        bid, ask = print_.bid_cents, print_.ask_cents
        cents = print_.price_cents
        lots = print_.quantity // BOARD_LOT_SHARES
        self.serial += 1
        self.lots += lots
        self.transactions += 1
        self.value_cents += cents * print_.quantity
        side = self.lots_at_cents.get(cents)
        if side is None:
            side = self.lots_at_cents[cents] = [0, 0, 0]
        side[0] += lots
        if print_.flag is None and ask is not None and cents >= ask:
            self.lots_at_ask += lots
            side[2] += lots
        elif print_.flag is None and bid is not None and cents <= bid:
            self.lots_at_bid += lots
            side[1] += lots
        tick = Tick(
            bid=_price(bid),
            ask=_price(ask),
            price=print_.price,
            price_cents=cents,
            size=lots,
            volume=self.lots,
            time_us=print_.time_ns // 1000,
            serial=self.serial,
            flag=print_.flag,
        )
        if self.first is None:
            self.first = tick
        if self.high is None or cents > self.high.price_cents:
            self.high = tick
        if self.low is None or cents < self.low.price_cents:
            self.low = tick
        if print_.flag == "isClose":
            self.closed = True
        self.trades.append(tick)
        self._bar(print_.time_ns, cents, lots)
        return tick

    def _bar(self, time_ns: int, cents: int, lots: int) -> None:
        start_ns = time_ns // MINUTE_NS * MINUTE_NS
        bar = self.bars.get(start_ns)
        if bar is None:
            self.bars[start_ns] = bar = Bar(
                start_ns=start_ns,
                open_cents=cents,
                high_cents=cents,
                low_cents=cents,
                close_cents=cents,
                lots=0,
                day_value_cents=0,
                day_lots=0,
            )
        elif cents > bar.high_cents:
            bar.high_cents = cents
        elif cents < bar.low_cents:
            bar.low_cents = cents
        bar.close_cents = cents
        bar.lots += lots
        bar.day_value_cents = self.value_cents
        bar.day_lots = self.lots

    def trial(
        self, price: Decimal, shares: int, time_ns: int, best_cents: tuple[int | None, int | None]
    ) -> Tick:
        """A trial match, met by the book's best bid and ask `best_cents` now."""
        bid, ask = best_cents
        self.serial += 1
        tick = Tick(
            bid=_price(bid),
            ask=_price(ask),
            price=price,
            price_cents=to_cents(price),
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
        return day

    def traded(self, print_: TradePrint) -> None:
        symbol = print_.symbol
        self._on_tick(symbol, self.of(symbol).record(print_))

    def book_changed(self, symbol: str) -> None:
        self._on_book(symbol)

    def trial(self, symbol: str, price: Decimal, shares: int, time_ns: int) -> None:
        """A trial match the exchange published (call phases)."""
        book = self._market.books[symbol]
        tick = self.of(symbol).trial(price, shares, time_ns, (book.best_bid(), book.best_ask()))
        self._on_tick(symbol, tick)
