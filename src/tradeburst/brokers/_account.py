"""The account beyond one run: the orders still working on it, whoever placed them (any
run, another program, the broker's own app), and the positions it holds. A kill switch
reads the first, `tradeburst account` both.

`AccountBook` is what a broker offers for this, besides the `Broker` protocol; both the
rehearsal exchange's client and the Fubon adapter implement it. `AccountBroker` is a
broker that does both. Values are msgspec structs so that the Fubon worker can send them
over its pipe as they are.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

import msgspec

from tradeburst.brokers._protocol import Broker
from tradeburst.model import OrderStatus, PriceType, Side
from tradeburst.wire import OrderResult, PositionData

__all__ = [
    "AccountBook",
    "AccountBroker",
    "Position",
    "WorkingOrder",
    "position_of",
    "working_of",
]


class WorkingOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order that can still fill: accepted, not cancelled, not wholly filled."""

    order_no: str
    user_def: str | None
    symbol: str
    side: Side
    price_type: PriceType
    price_twd: Decimal | None
    """The working price (after any reprice); None for a market order."""
    quantity: int
    """Effective quantity in shares (after any reduction), filled part included."""
    filled_qty: int
    status: OrderStatus

    @property
    def open_qty(self) -> int:
        return self.quantity - self.filled_qty


class Position(msgspec.Struct, frozen=True, kw_only=True):
    """Shares of one symbol the account holds (negative: short), as the broker says."""

    symbol: str
    shares: int
    average_cost_twd: Decimal
    """The average price paid per share held (received, for a short), fees left out."""
    last_price_twd: Decimal | None = None
    """The last trade price the broker knows of, to value the position; None if none."""
    unrealized_twd: Decimal | None = None
    """The broker's own figure for the position's unrealised profit, when it gives one."""


class AccountBook(Protocol):
    """What a broker tells of the account as a whole."""

    async def working_orders(self) -> list[WorkingOrder]:
        """Every order of the account that is still working, whoever placed it."""
        ...

    async def positions(self) -> list[Position]:
        """What the account holds now, one entry per symbol with shares."""
        ...


class AccountBroker(Broker, AccountBook, Protocol):
    """A broker that can also describe its whole account."""


def working_of(record: OrderResult) -> WorkingOrder | None:
    """The order an API record describes, if it is still working."""
    if record.open_qty <= 0 or record.order_no is None:
        return None
    return WorkingOrder(
        order_no=record.order_no,
        user_def=record.user_def,
        symbol=record.stock_no,
        side=record.buy_sell,
        price_type=record.after_price_type,
        price_twd=record.after_price,
        quantity=record.after_qty,
        filled_qty=record.filled_qty,
        status=record.status,
    )


def position_of(data: PositionData) -> Position:
    return Position(
        symbol=data.stock_no,
        shares=data.shares,
        average_cost_twd=data.average_cost,
        last_price_twd=data.last_price,
    )
