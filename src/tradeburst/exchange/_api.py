"""The shapes of the HTTP API: request bodies (validated by msgspec as they are decoded)
and the answer envelope, which mirrors the Fubon SDK's `Result{is_success, message, data}`.

HTTP status codes: 200 whenever the exchange gave an answer, including a business refusal
(`is_success: false`, with the reason); 400 for a malformed body; 401 for a missing or
wrong key; 404 for an unknown order or symbol; 429 for a broker limit (the message
contains `業務系統流量控管`); 503 for an injected error, when nothing was placed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import msgspec
from aiohttp import web

from tradeburst.model import (
    USER_DEF_MAX_LEN,
    MarketType,
    Order,
    OrderError,
    OrderType,
    PriceType,
    Side,
    TimeInForce,
    is_valid_user_def,
)
from tradeburst.rules import PRICE_PATTERN, PriceError, parse_price

__all__ = [
    "MAX_BATCH_ORDERS",
    "BatchBody",
    "Envelope",
    "ModifyPriceBody",
    "ModifyQuantityBody",
    "PlaceOrderBody",
    "error_response",
    "fubon_user_def",
    "json_response",
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


def fubon_user_def(raw: str | None) -> tuple[str | None, str | None]:
    """What Fubon's SDK (2.3.1) sends for `raw`, and its warning: letters and digits only,
    at most 10 of them; longer is cut, anything else is cleared. The order goes either way."""
    if raw is None or (raw and len(raw) <= USER_DEF_MAX_LEN and is_valid_user_def(raw)):
        return raw or None, None
    if raw.isascii() and raw.isalnum():
        kept = raw[:USER_DEF_MAX_LEN]
        return (
            kept,
            f"[委託單資訊] 自訂欄位長度超過10位元，您的文字[{raw}]，系統將進行自動截取 ({kept})",
        )
    return (
        None,
        f"[委託單資訊] 自訂欄位包含無效字元[{raw}]，已清空該欄位；請使用英數字 (a-z, A-Z, 0-9)",
    )


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


class Envelope(msgspec.Struct, kw_only=True):
    is_success: bool
    message: str | None = None
    data: Any = None


_encode = msgspec.json.Encoder().encode


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=_encode(payload), status=status, content_type="application/json")


def error_response(status: int, message: str) -> web.Response:
    return json_response(Envelope(is_success=False, message=message), status)
