"""What the market-data feeds deliver: `Book` (five levels a side) and `Trade` updates,
each numbered by the exchange's `seq` for its symbol and channel, and `Gap`, the numbers a
feed knows it could not deliver. Prices are `Decimal` TWD, times microseconds since the
epoch (the exchange's clock). Strategies get `Book` and `Trade` in `on_tick`.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = ["Book", "Gap", "Level", "MarketEvent", "Tick", "Trade"]


class Level(msgspec.Struct, frozen=True, kw_only=True):
    price: Decimal
    size: int


class Book(msgspec.Struct, frozen=True, kw_only=True, tag="book"):
    """The book of `symbol` as a whole: a later book replaces an earlier one."""

    symbol: str
    bids: tuple[Level, ...]
    """Best first."""
    asks: tuple[Level, ...]
    time_us: int
    seq: int
    snapshot: bool = False
    """Sent as the state on (re)subscribing, not as an update."""

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0].price if self.asks else None


class Trade(msgspec.Struct, frozen=True, kw_only=True, tag="trade"):
    """One trade of `symbol` (or, before an auction, a trial match: `trial`)."""

    symbol: str
    price: Decimal
    size: int
    """Shares."""
    volume: int | None
    """The day's running volume after this trade, when the source gives it."""
    time_us: int
    seq: int
    trial: bool = False
    snapshot: bool = False
    """The last trade, sent as the state on (re)subscribing."""


class Gap(msgspec.Struct, frozen=True, kw_only=True, tag="gap"):
    """Updates `first_seq`..`last_seq` of `channel` for `symbol` were published while the
    feed was away and cannot be replayed (trades only: a book heals with the next book)."""

    symbol: str
    channel: str
    first_seq: int
    last_seq: int

    @property
    def missed(self) -> int:
        return self.last_seq - self.first_seq + 1


Tick = Book | Trade
MarketEvent = Book | Trade | Gap
