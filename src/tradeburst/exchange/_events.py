"""What the market tells the rest of the exchange: a listener interface with no-op
defaults, so the store, the account streams and the market-data feed each override only
what they use."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeburst.wire import FilledData, OrderResult

__all__ = ["MarketListener", "TradePrint"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TradePrint:
    """One trade as the market prints it; `volume` is the symbol's day volume after it,
    `flag` marks auction prints (`isOpen`, `isClose`)."""

    symbol: str
    price: Decimal
    quantity: int
    volume: int
    time_ns: int
    flag: str | None


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
