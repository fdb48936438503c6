"""The declarative strategies of a strategies file, as `Strategy` subclasses: `Batches`
sends its batches one after another, each settled before the next;
`Twap` works through a TWAP schedule, each slice at its exchange time, pricing children
by its policy from the last book and trade it saw, and capping them by the volume traded
since the previous slice when a participation cap is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from decimal import Decimal

from tradeburst.brokers import Instrument
from tradeburst.engine import OrderRow
from tradeburst.marketdata import Book, Tick, Trade
from tradeburst.model import Order
from tradeburst.strategies._clock import ExchangeTime
from tradeburst.strategies._strategy import OrderUpdate, Strategy
from tradeburst.strategies._twap import TwapParent, schedule_from, step

__all__ = ["Batches", "Twap"]

log = logging.getLogger(__name__)


class Batches(Strategy):
    def __init__(self, *, name: str, weight: float, batches: list[list[OrderRow]]) -> None:
        super().__init__(name=name, weight=weight)
        self.batches = batches
        self._open: set[str] = set()
        self._settled = asyncio.Event()

    async def run(self) -> None:
        for rows in self.batches:
            if self.stopped:
                return
            self._settled.clear()
            ids = await self.submit([row.order for row in rows], tag=rows[0].tag)
            self._open = set(ids)
            waits = [
                asyncio.ensure_future(self._settled.wait()),
                asyncio.ensure_future(self._stopped.wait()),
            ]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()

    async def on_order(self, update: OrderUpdate) -> None:
        self._open.discard(update.user_def)
        if not self._open:
            self._settled.set()


class Twap(Strategy):
    def __init__(
        self,
        *,
        name: str,
        weight: float,
        parent: TwapParent,
        instrument: Instrument,
        clock: ExchangeTime,
    ) -> None:
        super().__init__(name=name, weight=weight)
        self.parent = parent
        self.symbols = (parent.symbol,)
        self._instrument = instrument
        self._clock = clock
        self._ladder = instrument.ladder
        self._bid: Decimal | None = None
        self._ask: Decimal | None = None
        self._last: Decimal | None = None
        self._volume = 0
        """Shares traded since the previous slice."""
        self.sent_lots = 0
        self.left_lots = 0
        self.slices_done = 0

    async def on_tick(self, tick: Tick) -> None:
        if isinstance(tick, Book):
            self._bid, self._ask = tick.best_bid, tick.best_ask
        elif isinstance(tick, Trade) and not tick.trial and not tick.snapshot:
            self._last = tick.price
            self._volume += tick.size

    async def run(self) -> None:
        parent = self.parent
        carry = 0
        for piece in schedule_from(parent, self._clock.seconds_of_day()):
            wait_s = piece.at_s - self._clock.seconds_of_day()
            if wait_s > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), wait_s)
            if self.stopped or self._clock.seconds_of_day() >= parent.end_s:
                break
            taken = step(parent, piece, carry, self._volume)
            self._volume, carry = 0, taken.carried_lots
            if taken.lots:
                orders = [
                    Order(
                        symbol=parent.symbol,
                        side=parent.side,
                        quantity=shares,
                        price_twd=self._price(),
                    )
                    for shares in taken.children
                ]
                await self.submit(orders, tag=f"{self.name}-{piece.index + 1}")
                self.sent_lots += taken.lots
            self.slices_done += 1
        self.left_lots = parent.lots - self.sent_lots
        if self.left_lots:
            log.info("%s: %d lots left unsent at the end of the window", self.name, self.left_lots)

    def _price(self) -> Decimal:
        instrument = self._instrument
        return self.parent.price.price(
            self._ladder,
            reference=instrument.reference_twd,
            limit_up=instrument.limit_up_twd,
            limit_down=instrument.limit_down_twd,
            bid=self._bid,
            ask=self._ask,
            last=self._last,
        )
