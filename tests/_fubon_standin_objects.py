"""The `fubon_neo` SDK's shapes and texts, as the stand-in (`_fubon_standin`) answers with
them: result objects (attributes only, printed the SDK's way), an `OrderResult` or
`FilledData` made from the rehearsal exchange's JSON with SDK enum members and float
prices, what a real `fubon_neo.sdk.Order` holds (read from its repr, 2.3.1 having no
getters), and the message texts of SDK 2.3.1."""

from __future__ import annotations

import json
import re
from typing import Any

from fubon_neo.constant import BSAction, MarketType, OrderType, PriceType, TimeInForce

RATE_LIMIT = "Login Error, 業務系統流量控管"
CLOSED = "Login Error, Unable to make method calls because underlying connection is closed"
NOT_LOGGED_IN = "Not Login Error"
FORCED_LOGOUT = "forced logout: API key changed"
BATCH_TOO_LONG = (
    "Exceeded the maximum limit for batch orders per order. Please reduce the number of "
    "orders in the batch order. Max 30"
)
_ORDER_FIELD = re.compile(r"^\s*(\w+): (.*?),?$")
_ENUMS: dict[str, Any] = {
    "buy_sell": BSAction,
    "market_type": MarketType,
    "price_type": PriceType,
    "after_price_type": PriceType,
    "time_in_force": TimeInForce,
    "order_type": OrderType,
}
_PRICES = ("price", "after_price", "before_price", "filled_price", "filled_avg_price")


class Obj:
    """An SDK result object: attributes only, printed the SDK's way."""

    def __init__(self, kind: str, **fields: Any) -> None:
        self._kind = kind
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}: {v!r}" for k, v in vars(self).items() if k != "_kind")
        return f"{self._kind} {{ {fields} }}"


def result(is_success: bool, message: str | None = None, data: Any = None) -> Obj:
    return Obj("Result", is_success=is_success, message=message, data=data)


def order_fields(py_order: Any) -> dict[str, Any]:
    """What a real `fubon_neo.sdk.Order` holds: 2.3.1 has no getters, only its repr."""
    fields: dict[str, Any] = {}
    for line in repr(py_order).splitlines()[1:-1]:
        match = _ORDER_FIELD.match(line)
        assert match, line
        name, value = match.groups()
        fields[name] = None if value == "None" else json.loads(value) if value[0] == '"' else value
    fields["quantity"] = int(fields["quantity"])
    return fields


def sdk_record(data: dict[str, Any], **changes: Any) -> Obj:
    """An SDK `OrderResult` from the exchange's JSON: enums as SDK members, prices float."""
    fields = dict(data)
    fields.pop("received_ns", None)
    fields.pop("queue_seq", None)
    for name, enum in _ENUMS.items():
        if fields.get(name) is not None:
            fields[name] = getattr(enum, fields[name])
    for name in _PRICES:
        if fields.get(name) is not None:
            fields[name] = float(fields[name])
    fields.setdefault("details", None)
    fields.update(changes)
    return Obj("OrderResult", **fields)


def sdk_fill(data: dict[str, Any], *, callback: bool) -> Obj:
    fields = {k: v for k, v in data.items() if k != "filled_ns"}
    fields["buy_sell"] = getattr(BSAction, fields["buy_sell"])
    fields["order_type"] = getattr(OrderType, fields["order_type"])
    for name in _PRICES:
        if fields.get(name) is not None:
            fields[name] = float(fields[name])
    if not callback:  # seq_no and user_def come only in callbacks
        fields["seq_no"] = None
        fields["user_def"] = None
    return Obj("FilledData", **fields)


RECORD_FIELDS = (
    "function_type",
    "date",
    "seq_no",
    "branch_no",
    "account",
    "order_no",
    "asset_type",
    "market",
    "market_type",
    "stock_no",
    "buy_sell",
    "price_type",
    "price",
    "quantity",
    "time_in_force",
    "order_type",
    "is_pre_order",
    "status",
    "after_price_type",
    "after_price",
    "unit",
    "after_qty",
    "filled_qty",
    "filled_money",
    "before_qty",
    "before_price",
    "user_def",
    "last_time",
    "details",
    "error_message",
)


def order_body(fields: dict[str, Any]) -> dict[str, Any]:
    body = {
        "symbol": fields["symbol"],
        "buy_sell": fields["buy_sell"],
        "quantity": fields["quantity"],
        "price_type": fields["price_type"],
        "time_in_force": fields["time_in_force"],
        "market_type": fields["market_type"],
        "order_type": fields["order_type"],
    }
    if fields["price"] is not None:
        body["price"] = fields["price"]
    if fields["user_def"] is not None:
        body["user_def"] = fields["user_def"]
    return body


def error_code(record: dict[str, Any]) -> str:
    return f"[4385715]{record.get('error_message')}"


def outcome(record: dict[str, Any]) -> Obj:
    if record["status"] == 90:
        return sdk_record(record, function_type=90, order_no=None, after_qty=0)
    return sdk_record(record, function_type=10)
