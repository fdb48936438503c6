"""Frozen value objects for what a user asks for (`Order`) and what the market gives back
(`Fill`). Both are validated when built, so an invalid one never exists; prices are
`Decimal` TWD and quantities are whole shares.

`Order` checks only what holds on every market and every day (shape of the price, the
client tag). Whether a price is on the tick ladder or inside today's limits depends on the
symbol's reference price and lives in `tradeburst.rules`.
"""

from __future__ import annotations

import re
from decimal import Decimal

import msgspec

from tradeburst.errors import TradeburstError
from tradeburst.model._enums import MarketType, OrderType, PriceType, Side, TimeInForce

__all__ = ["USER_DEF_MAX_LEN", "Fill", "Order", "OrderError", "is_valid_user_def"]

USER_DEF_MAX_LEN = 10
_USER_DEF_PATTERN = re.compile(r"[A-Za-z0-9]{1,10}")


class OrderError(TradeburstError, ValueError):
    """An order that cannot exist: the message says which field and why."""


def is_valid_user_def(user_def: str) -> bool:
    """Fubon SDK 2.3.1 keeps `user_def` only if it is 1–10 ASCII letters or digits."""
    return _USER_DEF_PATTERN.fullmatch(user_def) is not None


class Order(msgspec.Struct, frozen=True, kw_only=True):
    """One order as the user means it, before any broker has seen it."""

    symbol: str
    side: Side
    quantity: int
    price_twd: Decimal | None = None
    price_type: PriceType = PriceType.LIMIT
    time_in_force: TimeInForce = TimeInForce.ROD
    market_type: MarketType = MarketType.COMMON
    order_type: OrderType = OrderType.STOCK
    user_def: str | None = None

    def __post_init__(self) -> None:
        if not self.symbol or not self.symbol.isalnum():
            raise OrderError(f"symbol {self.symbol!r} must be letters or digits")
        if self.quantity <= 0:
            raise OrderError(f"quantity {self.quantity} must be a positive number of shares")
        if self.price_type is PriceType.LIMIT:
            if self.price_twd is None:
                raise OrderError("a Limit order needs a price")
            if not self.price_twd.is_finite() or self.price_twd <= 0:
                raise OrderError(f"price {self.price_twd} must be a positive number")
        elif self.price_twd is not None:
            raise OrderError(f"a {self.price_type} order takes no price (got {self.price_twd})")
        if self.user_def is not None and not is_valid_user_def(self.user_def):
            raise OrderError(
                f"user_def {self.user_def!r} must be 1-{USER_DEF_MAX_LEN} letters or digits"
            )


class Fill(msgspec.Struct, frozen=True, kw_only=True):
    """One execution of part of an order, at one price."""

    order_no: str
    symbol: str
    side: Side
    quantity: int
    price_twd: Decimal
    filled_no: str
    time_ns: int
    user_def: str | None = None
