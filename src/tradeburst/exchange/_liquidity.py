"""Seeded background liquidity, so every book is two-sided and trades flow.

At the start of each trading day (or of the exchange) the house account quotes five levels
a side around each symbol's reference price (and, before the open, a few orders at the
reference so the opening auction trades).
While the market is open it then, every interval, either takes a few lots from one side
of a random book, which prints a trade, or refills a side that has thinned out. The same
seed gives the same sequence of house actions.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from tradeburst.exchange._accounts import HOUSE
from tradeburst.exchange._market import Market
from tradeburst.exchange._symbols import Symbol
from tradeburst.model import Order, PriceType, Side, TimeInForce
from tradeburst.rules import BOARD_LOT_SHARES, Phase, from_cents

__all__ = ["Liquidity"]

_LEVELS = 5


class Liquidity:
    def __init__(
        self,
        market: Market,
        rng: random.Random,
        *,
        interval_s: float = 0.25,
        after_step: Callable[[], None] = lambda: None,
    ) -> None:
        self._market = market
        self._after_step = after_step
        self._rng = rng
        self._interval_s = interval_s
        self._opened_day: date | None = None

    def open_books(self) -> None:
        """Quote every empty book, and seed the opening auction before the open."""
        self._market.sync()
        phase = self._market.phase()
        if not phase.accepts_orders:
            return
        self._opened_day = self._market.day
        for code, symbol in self._market.symbols.items():
            bids, asks = self._market.books[code].depth(_LEVELS)
            if not bids:
                self._quote(symbol, Side.BUY, symbol.reference_twd, _LEVELS)
            if not asks:
                self._quote(symbol, Side.SELL, symbol.reference_twd, _LEVELS)
            if phase is Phase.PRE_OPEN:
                for side in Side:
                    self._place(symbol, side, symbol.reference_twd, self._lots(1, 5))

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            self.tick()

    def tick(self) -> None:
        """One interval's work: open a new day's books, or act while trading is continuous."""
        self._market.sync()
        if self._opened_day != self._market.day:
            self.open_books()
        elif self._market.phase() is Phase.CONTINUOUS:
            self.step()
        # A house trade may fill a user's order: store it before anyone hears of it.
        self._after_step()

    def step(self) -> None:
        """One house action: take from a side (a trade), or refill a thin side."""
        code = self._rng.choice(sorted(self._market.symbols))
        symbol = self._market.symbols[code]
        bids, asks = self._market.books[code].depth(_LEVELS)
        for side, levels in ((Side.BUY, bids), (Side.SELL, asks)):
            if len(levels) < _LEVELS:
                start = from_cents(levels[-1][0]) if levels else symbol.reference_twd
                self._quote(symbol, side, start, _LEVELS - len(levels))
                return
        side = self._rng.choice((Side.BUY, Side.SELL))
        target = asks[0] if side is Side.BUY else bids[0]
        self._place(
            symbol,
            side,
            from_cents(target[0]),
            self._lots(1, max(1, min(3, target[1] // BOARD_LOT_SHARES))),
            TimeInForce.IOC,
        )

    def _quote(self, symbol: Symbol, side: Side, start: Decimal, levels: int) -> None:
        price = start
        band = symbol.band
        for _ in range(levels):
            price = (
                symbol.ladder.step_down(price) if side is Side.BUY else symbol.ladder.step_up(price)
            )
            if price not in band:
                return
            self._place(symbol, side, price, self._lots(5, 30))

    def _lots(self, low: int, high: int) -> int:
        return self._rng.randint(low, high) * BOARD_LOT_SHARES

    def _place(
        self,
        symbol: Symbol,
        side: Side,
        price: Decimal,
        quantity: int,
        tif: TimeInForce = TimeInForce.ROD,
    ) -> None:
        order = Order(
            symbol=symbol.code,
            side=side,
            quantity=quantity,
            price_twd=price,
            price_type=PriceType.LIMIT,
            time_in_force=tif,
        )
        self._market.place(HOUSE, order, self._market.clock.now_ns())
