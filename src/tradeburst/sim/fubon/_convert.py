"""Between the script's objects and the exchange's: an `Order` (ours, or the real
binary's, read from its repr) checked as the SDK checks it before sending and turned into
the exchange's order body; the exchange's `OrderResult` and `FilledData` records turned
into the SDK's objects, enums as `fubon_neo.constant` members and prices as floats.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from tradeburst.errors import TradeburstError
from tradeburst.sim.fubon import constant
from tradeburst.sim.fubon._objects import FilledData, OrderResult
from tradeburst.sim.fubon._order import Order, order_fields
from tradeburst.wire import FilledData as WireFill
from tradeburst.wire import OrderResult as WireOrder

__all__ = ["ClientRefusal", "fill_object", "order_body", "order_object"]

_ENUM_FIELDS: dict[str, type[Any]] = {
    "buy_sell": constant.BSAction,
    "market_type": constant.MarketType,
    "price_type": constant.PriceType,
    "time_in_force": constant.TimeInForce,
    "order_type": constant.OrderType,
}
_ODD_LOTS = ("Odd", "IntradayOdd", "EmgOdd")
_MAX_QUANTITY = 499_000
_REPR_LINE = re.compile(r"^\s*(\w+): (.*?),?$")


class ClientRefusal(TradeburstError):
    """What the SDK refuses before sending: its message is the binary's text."""


def _names(order: Any) -> dict[str, Any]:
    """The order's fields, enums by member name."""
    if isinstance(order, Order):
        fields = order_fields(order)
        for name, kind in _ENUM_FIELDS.items():
            fields[name] = constant.member_name(fields[name], kind)
        return fields
    if type(order).__name__ == "Order" and repr(order).startswith("Order {"):
        return _parsed(repr(order))  # the real binary's Order: it has no getters
    raise TypeError(
        f"argument 'py_order': '{type(order).__name__}' object cannot be converted to 'Order'"
    )


def _parsed(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for line in text.splitlines()[1:-1]:
        match = _REPR_LINE.match(line)
        if match:
            name, value = match.groups()
            fields[name] = (
                None if value == "None" else json.loads(value) if value[0] == '"' else value
            )
    fields["quantity"] = int(fields.get("quantity", 0))
    return fields


def order_body(order: Any) -> dict[str, Any]:
    """The exchange's body for `order`, or `ClientRefusal` with the SDK's own text."""
    fields = _names(order)
    symbol, quantity, price = fields["symbol"], fields["quantity"], fields["price"]
    if not symbol or not symbol.strip():
        raise ClientRefusal("Symbol should not be null and empty. Please recheck the symbol input.")
    if quantity < 1:
        raise ClientRefusal(f"Quantity must >= 1, input is {quantity}")
    if fields["market_type"] in _ODD_LOTS:
        if quantity >= 1000:
            raise ClientRefusal(f"Quantity must < 1000, input is {quantity}")
    elif quantity % 1000:
        raise ClientRefusal(f"Quantity must be multiply of 1000, input is {quantity}")
    elif quantity > _MAX_QUANTITY:
        raise ClientRefusal(f"Quantity must small or equal to {_MAX_QUANTITY}, input is {quantity}")
    if fields["price_type"] == "Limit" and not price:
        raise ClientRefusal("Must Provide Price")
    if fields["price_type"] != "Limit" and price:
        raise ClientRefusal("Price should be empty")
    body = {name: fields[name] for name in ("symbol", "quantity", *_ENUM_FIELDS)}
    if price:
        body["price"] = price
    if fields.get("user_def"):
        body["user_def"] = fields["user_def"]
    return body


def _price(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def order_object(record: WireOrder, **changes: Any) -> Any:
    """The SDK's `OrderResult` for `record`, with `changes` made."""
    values: dict[str, Any] = {
        name: getattr(record, name) for name in OrderResult.fields if hasattr(record, name)
    }
    for name, kind in _ENUM_FIELDS.items():
        values[name] = getattr(kind, getattr(record, name).value)
    values["after_price_type"] = getattr(constant.PriceType, record.after_price_type.value)
    for name in ("price", "after_price", "before_price"):
        values[name] = _price(getattr(record, name))
    values["function_type"] = None if record.function_type is None else int(record.function_type)
    values["status"] = int(record.status)
    values["details"] = None
    values.update(changes)
    return OrderResult(**values)


def fill_object(fill: WireFill, *, callback: bool) -> Any:
    """The SDK's `FilledData`; `seq_no` and `user_def` come only in callbacks."""
    return FilledData(
        date=fill.date,
        branch_no=fill.branch_no,
        account=fill.account,
        seq_no=fill.seq_no if callback else None,
        order_no=fill.order_no,
        stock_no=fill.stock_no,
        buy_sell=getattr(constant.BSAction, fill.buy_sell.value),
        order_type=getattr(constant.OrderType, fill.order_type.value),
        filled_no=fill.filled_no,
        filled_avg_price=float(fill.filled_avg_price),
        filled_qty=fill.filled_qty,
        filled_price=float(fill.filled_price),
        filled_time=fill.filled_time,
        user_def=fill.user_def if callback else None,
    )
