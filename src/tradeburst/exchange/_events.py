"""What the market tells the rest of the exchange: a listener interface with no-op
defaults, so the store, the account streams and the market-data feed each override only
what they use; `Listeners` hands each event only to those that override it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

import msgspec

from tradeburst.wire import FilledData, OrderResult

__all__ = ["Listeners", "MarketListener", "TradePrint"]


class TradePrint(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One trade as the market prints it; `price` is `price_cents` as a `Decimal`,
    `volume` is the symbol's day volume after it, `flag` marks auction prints (`isOpen`,
    `isClose`), `bid_cents` and `ask_cents` the best prices it met (standing when its
    order came in, or before its auction ran). A struct: one is made per trade."""

    symbol: str
    price: Decimal
    price_cents: int
    quantity: int
    volume: int
    time_ns: int
    flag: str | None
    bid_cents: int | None = None
    ask_cents: int | None = None


class MarketListener:
    def order_changed(self, record: OrderResult) -> None:
        """An order record was created or changed (it is the live object; copy to keep)."""

    def filled(self, fill: FilledData) -> None:
        """One side of a trade filled part of an order."""

    def traded(self, print_: TradePrint) -> None:
        """A trade printed."""

    def book_changed(self, symbol: str) -> None:
        """The symbol's book changed; depth can be read from the market."""

    def requeued(self, record: OrderResult) -> None:
        """An order's place in its queue (`queue_seq`) was set anew, after an auction ranked
        the pre-open orders at random: nothing a client sees changed, a restart needs it."""

    def changes_applied(self, synced_ns: int) -> None:
        """The market has carried out every phase change up to `synced_ns` (exchange
        time), auctions included: a restart must not run them again."""


_HOOKS = ("order_changed", "filled", "traded", "book_changed", "requeued", "changes_applied")


class Listeners:
    """The market's listeners, and for each event the handlers of those that override
    it: an event reaches only who handles it, never a no-op default (the market tells
    several events per order, so the calls it saves add up)."""

    def __init__(self) -> None:
        self._all: list[MarketListener] = []
        self.order_changed: tuple[Callable[[OrderResult], None], ...] = ()
        self.filled: tuple[Callable[[FilledData], None], ...] = ()
        self.traded: tuple[Callable[[TradePrint], None], ...] = ()
        self.book_changed: tuple[Callable[[str], None], ...] = ()
        self.requeued: tuple[Callable[[OrderResult], None], ...] = ()
        self.changes_applied: tuple[Callable[[int], None], ...] = ()

    def __iter__(self) -> Iterator[MarketListener]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def append(self, listener: MarketListener) -> None:
        self.extend([listener])

    def extend(self, listeners: Iterable[MarketListener]) -> None:
        self._all.extend(listeners)
        for hook in _HOOKS:
            default = getattr(MarketListener, hook)
            handlers = tuple(
                getattr(listener, hook)
                for listener in self._all
                if getattr(type(listener), hook, default) is not default
            )
            setattr(self, hook, handlers)
