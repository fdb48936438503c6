"""The exchange's market data into a tick ring (`tradeburst exchange --shm-feed NAME`):
a market listener that writes each trade print and each change of a book's best levels
as one record, prices converted exactly from the book's integer cents to milli-TWD. It
runs on the exchange's event loop and never blocks it: the ring drops nothing on the
producer's side, and a slow reader finds out from its own overrun count. It lives with the
exchange, whose events it reads, and uses only the ring's public names
(`tradeburst.hotpath`), so the hot path knows nothing of the exchange."""

from __future__ import annotations

from collections.abc import Callable

from tradeburst.exchange._events import MarketListener, TradePrint
from tradeburst.hotpath import DEFAULT_CAPACITY, Kind, RingWriter, to_milli

__all__ = ["RingFeed"]

BestLevels = Callable[[str], tuple[list[tuple[int, int]], list[tuple[int, int]]]]
"""A symbol's book depth as (bids, asks) of (price in cents, shares), best first."""


class RingFeed(MarketListener):
    """Creates the named ring and owns it; `close` marks it closed and unlinks it."""

    def __init__(self, name: str, depth: BestLevels, capacity: int = DEFAULT_CAPACITY) -> None:
        self.ring = RingWriter.create(name, capacity)
        self._depth = depth

    def traded(self, print_: TradePrint) -> None:
        self.ring.publish(
            Kind.TRADE,
            print_.symbol.encode("ascii"),
            to_milli(print_.price),
            print_.quantity,
            0,
            print_.volume,
            print_.time_ns,
        )

    def book_changed(self, symbol: str) -> None:
        bids, asks = self._depth(symbol)
        bid_cents, bid_qty = bids[0] if bids else (0, 0)
        ask_cents, ask_qty = asks[0] if asks else (0, 0)
        self.ring.publish(
            Kind.BOOK, symbol.encode("ascii"), bid_cents * 10, bid_qty, ask_cents * 10, ask_qty
        )

    def close(self) -> None:
        self.ring.close()
