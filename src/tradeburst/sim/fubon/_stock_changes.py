"""Changing and cancelling orders: `make_modify_price_obj` + `modify_price`,
`make_modify_quantity_obj` + `modify_quantity`, `cancel_order` and their batch forms, with
Fubon's `on_order_changed` sequences (standard service):

- accepted: reports 4 → the outcome (10 after a change; 30, or 40 if part had filled,
  after a cancel); blocking returns the outcome, unblock the status-4 report;
- refused by the back end (a new price outside the day's limits): 4 → 19, and
  `is_success=False` (an unblock call returns its status-4 report);
- refused by the system (same price, a larger quantity, an order past cancelling): only
  the failure report (19, 29, 39, most fields None), and `is_success=False` either way;
- a batch (at most 30) is one request to the exchange's batch route (one call against
  the batch limit); it returns a status-4 acknowledgement per change, then every status-4
  report goes out, then every outcome.

An order the SDK has no `order_no` for (an acknowledgement of an unblock or batch call) is
refused with the binary's text, as is a price change to or from a market price; in a
batch, either refuses the whole batch before anything is sent.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tradeburst.sim.fubon import constant
from tradeburst.sim.fubon._convert import order_object
from tradeburst.sim.fubon._objects import ModifyPrice, ModifyQuantity, OrderResult, result
from tradeburst.sim.fubon._session import Session
from tradeburst.sim.fubon._stock_orders import BATCH_TOO_LONG
from tradeburst.sim.fubon._texts import change_refusal
from tradeburst.sim.fubon._transport import CallFailed
from tradeburst.wire import MAX_BATCH_ORDERS
from tradeburst.wire import OrderResult as WireOrder

__all__ = ["StockChanges"]

NO_ORDER_NO = "此單無法進行刪改，請使用委託查詢此單狀態"
MARKET_TO_OTHER = "MarketPrice cannot change to others"
OTHER_TO_MARKET = "MarketPrice cannot change from others"
NOT_ENOUGH = "Not enough parameter to modify price"
_PRICE, _QUANTITY, _CANCEL = 15, 20, 30
_ACTIONS = {_PRICE: "modify-price", _QUANTITY: "modify-quantity", _CANCEL: "cancel"}
_ACK, _OUTCOME = 0, 1
_Report = tuple[int, Any, Any]
"""(stage, code, content) of one `on_order_changed` report: a batch sends every status-4
report before any outcome."""


def _request_object(kind: type[Any], order: Any, **fields: Any) -> Any:
    made = kind(
        market_type=getattr(order, "market_type", None),
        order_no=getattr(order, "order_no", None),
        stock_no=getattr(order, "stock_no", None),
        date=getattr(order, "date", None),
        **fields,
    )
    object.__setattr__(made, "source", order)
    return made


class StockChanges:
    def __init__(self, session: Session) -> None:
        self._session = session

    def make_modify_price_obj(
        self, order: Any, price: str | None = None, price_type: Any = None
    ) -> Any:
        if price is not None and not isinstance(price, str):
            raise TypeError(
                f"argument 'price': '{type(price).__name__}' object cannot be converted "
                "to 'PyString'"
            )
        return _request_object(
            ModifyPrice,
            order,
            new_price=price,
            new_price_type=price_type,
            price_type=getattr(order, "price_type", None),
        )

    def make_modify_quantity_obj(self, order: Any, quantity: int) -> Any:
        if not isinstance(quantity, int):
            raise TypeError(
                f"argument 'quantity': '{type(quantity).__name__}' object cannot be "
                "interpreted as an integer"
            )
        return _request_object(ModifyQuantity, order, new_quantity=quantity)

    def modify_price(self, account: Any, order_res: Any, unblock: bool | None = None) -> Any:
        return self._one(order_res, _PRICE, bool(unblock))

    def modify_quantity(self, account: Any, order_res: Any, unblock: bool | None = None) -> Any:
        return self._one(order_res, _QUANTITY, bool(unblock))

    def cancel_order(self, account: Any, order_res: Any, unblock: bool | None = None) -> Any:
        return self._one(order_res, _CANCEL, bool(unblock))

    def batch_modify_price(self, account: Any, orders: Any) -> Any:
        return self._batch(list(orders), _PRICE)

    def batch_modify_quantity(self, account: Any, orders: Any) -> Any:
        return self._batch(list(orders), _QUANTITY)

    def batch_cancel_order(self, account: Any, orders: Any) -> Any:
        return self._batch(list(orders), _CANCEL)

    def _one(self, item: Any, function_type: int, unblock: bool) -> Any:
        try:
            order, body = _change(item, function_type)
            path = f"/v1/orders/{order.order_no}/{_ACTIONS[function_type]}"
            answer = self._session.request("POST", path, body)
        except CallFailed as exc:
            return result(False, str(exc))
        reports: list[_Report] = []
        outcome = _outcome(order, answer, function_type, unblock, reports)
        self._emit(reports)
        return outcome

    def _batch(self, items: list[Any], function_type: int) -> Any:
        if len(items) > MAX_BATCH_ORDERS:
            return result(False, BATCH_TOO_LONG)
        try:
            changes = [_change(item, function_type) for item in items]
            body: dict[str, Any] = (
                {"order_nos": [order.order_no for order, _ in changes]}
                if function_type == _CANCEL
                else {"changes": [{"order_no": order.order_no, **b} for order, b in changes]}
            )
            path = f"/v1/orders/batch-{_ACTIONS[function_type]}"
            answer = self._session.request("POST", path, body)
        except CallFailed as exc:
            return result(False, str(exc))
        reports: list[_Report] = []
        acks = []
        for (order, _), one in zip(changes, answer["data"], strict=True):
            outcome = _outcome(order, one, function_type, True, reports)
            acks.append(outcome.data if outcome.is_success else _ack(order, function_type))
        self._emit(sorted(reports, key=lambda report: report[0]))  # every 4 first
        return result(True, None, acks)

    def _emit(self, reports: list[_Report]) -> None:
        for _, code, content in reports:
            self._session.callbacks.emit("on_order_changed", code, content)


def _ack(order: Any, function_type: int) -> Any:
    return order.replaced(function_type=function_type, status=4, details=None)


def _change(item: Any, function_type: int) -> tuple[Any, dict[str, Any]]:
    """The order `item` changes and the exchange's body for the change, or `CallFailed`
    with the SDK's own text for a change it refuses before sending."""
    order = item if function_type == _CANCEL else getattr(item, "source", None)
    if not isinstance(order, OrderResult):
        kind = "OrderResult" if function_type == _CANCEL else "a modify object"
        raise TypeError(f"expected {kind}, got '{type(item).__name__}'")
    if order.order_no is None:
        raise CallFailed(NO_ORDER_NO)
    if function_type == _CANCEL:
        return order, {}
    if function_type == _QUANTITY:
        return order, {"quantity": item.new_quantity}
    price, price_type = item.new_price, item.new_price_type
    if (price is None) == (price_type is None):
        raise CallFailed(NOT_ENOUGH)
    if order.price_type == constant.PriceType.Market:
        raise CallFailed(MARKET_TO_OTHER)
    if price_type == constant.PriceType.Market:
        raise CallFailed(OTHER_TO_MARKET)
    if price is not None:
        return order, {"price": price}
    return order, {"price_type": constant.member_name(price_type, constant.PriceType)}


def _outcome(
    order: Any, answer: Any, function_type: int, unblock: bool, reports: list[_Report]
) -> Any:
    """The Result of one change from the exchange's answer; its reports added to
    `reports`."""
    if not answer.get("is_success"):
        return _refused(order, answer, function_type, unblock, reports)
    record = msgspec.convert(answer["data"], WireOrder)
    ack = order_object(record, function_type=function_type, status=4)
    outcome = order_object(record, function_type=function_type)
    if function_type != _CANCEL:
        outcome = outcome.replaced(status=10)
    reports += [(_ACK, None, ack), (_OUTCOME, None, outcome)]
    return result(True, None, ack if unblock else outcome)


def _refused(
    order: Any, answer: Any, function_type: int, unblock: bool, reports: list[_Report]
) -> Any:
    data = answer.get("data")
    status = data.get("status", 90) if isinstance(data, dict) else 90
    refusal = change_refusal(answer.get("message"), status, order.seq_no, bool(order.filled_qty))
    ack = _ack(order, function_type)
    if refusal.backend:
        reports.append((_ACK, None, ack))
    failure = OrderResult(
        function_type=function_type,
        status=status,
        seq_no=order.seq_no,
        order_no=order.order_no,
        market_type=constant.MarketType.UnSupported,
        error_message=refusal.message,
    )
    reports.append((_OUTCOME, refusal.code, failure))
    if refusal.backend and unblock:
        return result(True, None, ack)
    return result(False, refusal.message)
