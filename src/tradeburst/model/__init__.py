"""The order model: enums with Fubon's codes, and frozen `Order` and `Fill` values."""

from tradeburst.model._enums import (
    FunctionType,
    MarketType,
    OrderStatus,
    OrderType,
    PriceType,
    Side,
    TimeInForce,
)
from tradeburst.model._order import USER_DEF_MAX_LEN, Fill, Order, OrderError, is_valid_user_def

__all__ = [
    "USER_DEF_MAX_LEN",
    "Fill",
    "FunctionType",
    "MarketType",
    "Order",
    "OrderError",
    "OrderStatus",
    "OrderType",
    "PriceType",
    "Side",
    "TimeInForce",
    "is_valid_user_def",
]
