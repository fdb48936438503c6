"""Between tradeburst's model and the SDK's objects: a model `Order` becomes a real
`fubon_neo` `Order` (positional arguments, price as a string, `None` for every price type
but Limit), and an SDK `OrderResult` or `FilledData` becomes an `OrderState` or `Fill`.

Statuses and what they mean to the engine (function types 0/10 new order, 15 price, 20
quantity, 30 cancel, 50 filled, 90 failed; `None` in queries; 90 is always a failure):

| status | OrderStatus | to the engine |
|---|---|---|
| 0, 10, 15, 20 | RESERVATION / ACCEPTED | accepted (15/20 are history names for 10) |
| 30, 40, 50 | CANCELLED / PARTLY_FILLED_CANCELLED / FILLED | accepted, and final |
| 4, 14, 24, 34 | SENT_TO_BACKEND | an ACK: the final word comes by callback |
| 8 | BACKEND_SENDING | an ACK, likewise |
| 9 | CONNECTION_TIMEOUT | unknown: reconcile by `user_def` |
| 19, 29, 39 | the change failed | the change was refused; the order stands |
| 90 | FAILED | rejected (unless the message is the rate limit: nothing placed) |

A failed `Result` is classified by what its message proves (`ANSWERS`, texts from SDK
2.3.1 run offline): the broker's rate refusal, a call that could not be sent (no connection,
or a connection the SDK reopened by itself but did not log in), a call cut off mid-way
(only a query by `user_def` can tell), a refusal of us as such; anything else is the
broker's "no" to that order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tradeburst.brokers._errors import AnswerLost, BrokerError, BrokerFatal, NotSent, RateLimited
from tradeburst.brokers._protocol import OrderState
from tradeburst.brokers.fubon._sdk import sdk_module
from tradeburst.clock import TAIPEI
from tradeburst.model import Fill, FunctionType, Order, OrderStatus, Side

__all__ = [
    "ANSWERS",
    "PENDING_STATUSES",
    "Answer",
    "Proof",
    "classify",
    "fill_of",
    "price_of",
    "price_text",
    "refusal",
    "result_status",
    "sdk_order",
    "state_of",
]


class Proof(enum.Enum):
    """What a failed `Result` proves about the request."""

    REFUSED = "refused"
    """The broker's "no" to the order (status 90, a business error text): an answer."""
    RATE = "rate"
    """Refused for rate: nothing placed; back off and send again."""
    NOT_SENT = "not sent"
    """The request never reached the broker: safe to send again."""
    UNKNOWN = "unknown"
    """Cut off mid-call: it may have been acted on; reconcile by `user_def`."""
    FATAL = "fatal"
    """The broker refuses us as such: stop."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One row of the table: a text the SDK answers, what it proves, whether the
    connection must be replaced (a new SDK, logged in again) before the next call, and
    whether it says the session was logged out, which event 304 may be about to explain."""

    mark: str
    proof: Proof
    reconnect: bool = False
    logged_out: bool = False


ANSWERS = (
    Answer("業務系統流量控管", Proof.RATE),  # "Login Error, 業務系統流量控管"
    Answer(
        "超過本應用程式連線限制", Proof.NOT_SENT
    ),  # "Login Error, 超過本應用程式連線限制==>[10]"
    Answer("URL error: Unable to connect", Proof.NOT_SENT, reconnect=True),
    Answer("Not Login Error", Proof.NOT_SENT, reconnect=True, logged_out=True),
    Answer("Sending after closing is not allowed", Proof.NOT_SENT, reconnect=True),
    Answer("underlying connection is closed", Proof.UNKNOWN, reconnect=True),
    Answer("帳號類別錯誤", Proof.FATAL),
    Answer("此 API KEY 未授權該功能", Proof.FATAL),
)
"""First match wins. The closed-connection text starts "Login Error, Unable to make method
calls because underlying connection is closed", the SDK's answer to a call in flight when
the socket closed; the SDK then reopens the socket by itself, not logged in, and answers
"Not Login Error" until a login."""

_STATUS = {
    0: OrderStatus.RESERVATION,
    4: OrderStatus.SENT_TO_BACKEND,
    8: OrderStatus.BACKEND_SENDING,
    9: OrderStatus.CONNECTION_TIMEOUT,
    10: OrderStatus.ACCEPTED,
    14: OrderStatus.SENT_TO_BACKEND,
    15: OrderStatus.ACCEPTED,
    19: OrderStatus.MODIFY_PRICE_FAILED,
    20: OrderStatus.ACCEPTED,
    24: OrderStatus.SENT_TO_BACKEND,
    29: OrderStatus.MODIFY_QUANTITY_FAILED,
    30: OrderStatus.CANCELLED,
    34: OrderStatus.SENT_TO_BACKEND,
    39: OrderStatus.CANCEL_FAILED,
    40: OrderStatus.PARTLY_FILLED_CANCELLED,
    50: OrderStatus.FILLED,
    90: OrderStatus.FAILED,
}
PENDING_STATUSES = frozenset({OrderStatus.SENT_TO_BACKEND, OrderStatus.BACKEND_SENDING})
"""An ACK: the broker has the request; its outcome comes later."""


def price_text(price_twd: Decimal) -> str:
    """The SDK takes prices as strings: `Decimal('66.50')` → `'66.5'`."""
    text = format(price_twd, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def sdk_order(order: Order) -> Any:
    """A real `fubon_neo.sdk.Order`, built positionally (2.3.1: price after order_type)."""
    sdk = sdk_module()
    return sdk.Order(
        getattr(sdk.BSAction, order.side.value),
        order.symbol,
        order.quantity,
        getattr(sdk.MarketType, order.market_type.value),
        getattr(sdk.PriceType, order.price_type.value),
        getattr(sdk.TimeInForce, order.time_in_force.value),
        getattr(sdk.OrderType, order.order_type.value),
        None if order.price_twd is None else price_text(order.price_twd),
        order.user_def,
    )


def result_status(status: Any, function_type: Any = None) -> OrderStatus:
    """The `OrderStatus` of an SDK status code; ValueError for one Fubon has not named."""
    if function_type is not None and int(function_type) == FunctionType.FAILED:
        return OrderStatus.FAILED
    try:
        return _STATUS[int(status)]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"unknown Fubon order status {status!r}") from exc


def state_of(result: Any, message: str | None = None) -> OrderState:
    """An SDK `OrderResult` (a return value, a callback's content, or a query's record)."""
    return OrderState(
        user_def=result.user_def or None,
        order_no=result.order_no or None,
        status=result_status(result.status, result.function_type),
        symbol=result.stock_no or "",
        quantity=int(result.after_qty or 0),
        filled_qty=int(result.filled_qty or 0),
        message=result.error_message or message,
        last_time=result.last_time or None,
    )


def _enum_name(value: Any) -> str:
    """`BSAction.Buy` → `Buy`: 2.3.1's enums are unhashable and have no constructor from
    a name, but they print as `Type.Member`."""
    return str(value).rpartition(".")[2]


def price_of(value: Any) -> Decimal:
    """The SDK reports prices as floats; the exact price is the float's short repr."""
    return Decimal(repr(float(value)))


def fill_of(filled: Any, user_def: str | None = None) -> Fill:
    """An SDK `FilledData`; `user_def` fills in where the SDK leaves it out (it carries one
    only in callbacks)."""
    stamp = datetime.strptime(
        f"{filled.date} {filled.filled_time}",
        "%Y/%m/%d %H:%M:%S.%f" if "." in filled.filled_time else "%Y/%m/%d %H:%M:%S",
    ).replace(tzinfo=TAIPEI)
    return Fill(
        order_no=filled.order_no,
        symbol=filled.stock_no,
        side=Side(_enum_name(filled.buy_sell)),
        quantity=int(filled.filled_qty),
        price_twd=price_of(filled.filled_price),
        filled_no=filled.filled_no,
        time_ns=int(stamp.timestamp() * 1_000_000) * 1000,
        user_def=filled.user_def or user_def,
    )


def classify(message: str | None) -> Answer:
    """The row of `ANSWERS` a failed `Result`'s message matches; the broker's "no" when none."""
    text = message or ""
    for answer in ANSWERS:
        if answer.mark in text:
            return answer
    return Answer(text, Proof.REFUSED)


def refusal(message: str | None, what: str, *, placing: bool = True) -> BrokerError | None:
    """The error a failed `Result` stands for, or None when it is the broker's answer about
    the order itself. A call cut off mid-way is `AnswerLost` when it was `placing` (or
    changing) an order, and `NotSent` for a query, which places nothing."""
    proof = classify(message).proof
    text = f"{what}: {message or ''}"
    if proof is Proof.RATE:
        return RateLimited(text)
    if proof is Proof.NOT_SENT or (proof is Proof.UNKNOWN and not placing):
        return NotSent(text)
    if proof is Proof.UNKNOWN:
        return AnswerLost(text)
    if proof is Proof.FATAL:
        return BrokerFatal(text)
    return None
