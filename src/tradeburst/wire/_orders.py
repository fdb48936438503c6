"""The bodies of the order actions: placing one order or a batch, repricing, resizing.
The exchange decodes requests into these structs (msgspec validates them on the way in,
and the OpenAPI description is generated from them); a client builds the same body from a
model `Order` with `order_body`. Prices travel as strings of digits, quantities as shares.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import msgspec

from tradeburst.model import (
    MarketType,
    Order,
    OrderError,
    OrderType,
    PriceType,
    Side,
    TimeInForce,
)
from tradeburst.rules import PRICE_PATTERN, PriceError, parse_price

__all__ = [
    "MAX_BATCH_ORDERS",
    "BatchBody",
    "ModifyPriceBody",
    "ModifyQuantityBody",
    "PlaceOrderBody",
    "order_body",
    "price_of",
]

MAX_BATCH_ORDERS = 30

Shares = Annotated[int, msgspec.Meta(gt=0, le=10**9, description="shares, not lots")]
PriceTwd = Annotated[
    str,
    msgspec.Meta(
        pattern=PRICE_PATTERN,
        description='TWD, as a string of digits such as "40.65" (no sign, exponent or '
        "spaces); Limit orders only",
    ),
]
UserDef = Annotated[
    str,
    msgspec.Meta(
        max_length=64,
        description="client tag; as the Fubon SDK does, cut to 10 characters, or cleared "
        "if it holds anything but letters and digits, with a warning in `message`",
    ),
]
Symbol = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9]{1,12}$")]


class PlaceOrderBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    symbol: Symbol
    buy_sell: Side
    quantity: Shares
    price: PriceTwd | None = None
    price_type: PriceType = PriceType.LIMIT
    time_in_force: TimeInForce = TimeInForce.ROD
    market_type: MarketType = MarketType.COMMON
    order_type: OrderType = OrderType.STOCK
    user_def: UserDef | None = None

    def to_order(self, user_def: str | None) -> Order:
        """The model order with the tag as kept; raises `OrderError` for a combination
        that cannot exist or a price not written plainly."""
        return Order(
            symbol=self.symbol,
            side=self.buy_sell,
            quantity=self.quantity,
            price_twd=price_of(self.price),
            price_type=self.price_type,
            time_in_force=self.time_in_force,
            market_type=self.market_type,
            order_type=self.order_type,
            user_def=user_def,
        )


def order_body(order: Order) -> dict[str, Any]:
    """The `PlaceOrderBody` of `order`, as the JSON object a client sends. A plain dict,
    not the struct: the struct keeps prices as text, the order holds a `Decimal`, and
    leaving out what is unset keeps each body of a burst as short as it can be."""
    body: dict[str, Any] = {
        "symbol": order.symbol,
        "buy_sell": order.side,
        "quantity": order.quantity,
        "price_type": order.price_type,
        "time_in_force": order.time_in_force,
        "market_type": order.market_type,
        "order_type": order.order_type,
    }
    if order.price_twd is not None:
        body["price"] = order.price_twd
    if order.user_def is not None:
        body["user_def"] = order.user_def
    return body


def price_of(text: str | None) -> Decimal | None:
    """A body's price by the one rule (`tradeburst.rules.parse_price`); `OrderError` if
    it breaks it. The schema's pattern says the same, but a pattern's `$` lets a final
    newline through, so the rule is applied here too."""
    if text is None:
        return None
    try:
        return parse_price(text)
    except PriceError as exc:
        raise OrderError(f"price {text!r} {exc}") from None


class BatchBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    orders: Annotated[list[PlaceOrderBody], msgspec.Meta(min_length=1, max_length=MAX_BATCH_ORDERS)]


class ModifyPriceBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Exactly one of `price` (a new limit price) and `price_type` (LimitUp, LimitDown,
    Reference)."""

    price: PriceTwd | None = None
    price_type: PriceType | None = None


class ModifyQuantityBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    quantity: Annotated[
        int, msgspec.Meta(ge=0, le=10**9, description="new size in shares, filled part included")
    ]
