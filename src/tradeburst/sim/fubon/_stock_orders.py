"""`sdk.stock.place_order` and `sdk.stock.batch_place_order`, with Fubon's return values
and `on_order` sequences (standard service):

- blocking: one report, function_type 10 and status 10 (or 90 with the error as `code`),
  and the return value: function_type 0, status 10; a refusal returns
  `is_success=False` with the text;
- unblock: reports 4 (function_type 0, `is_pre_order`) → 8 → 10 or 90; the return value
  is the status-4 acknowledgement, success or not;
- a batch (at most 30; more is refused before anything is sent, with the binary's text):
  returns one status-4 acknowledgement per order, then reports 8 for each order, then each
  order's outcome in an order of their own ("processed by the system in multiple
  threads").

An accepted order is shown as the back end accepts it: status 10, nothing filled yet; its
fills follow as `on_filled` reports. The SDK's own checks (quantity, price, symbol) refuse
before anything is sent, as the binary's do.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tradeburst.sim.fubon._convert import ClientRefusal, order_body, order_object
from tradeburst.sim.fubon._objects import result
from tradeburst.sim.fubon._session import Session
from tradeburst.sim.fubon._texts import new_order_refusal
from tradeburst.sim.fubon._transport import CallFailed
from tradeburst.wire import MAX_BATCH_ORDERS, OrderResult

__all__ = ["BATCH_TOO_LONG", "StockOrders"]

BATCH_TOO_LONG = (
    "Exceeded the maximum limit for batch orders per order. Please reduce the number of "
    f"orders in the batch order. Max {MAX_BATCH_ORDERS}"
)


def accepted(record: OrderResult, **changes: Any) -> Any:
    """`record` as the back end's acceptance shows it: working, nothing filled."""
    if record.order_no is not None:
        changes = {
            "status": 10,
            "filled_qty": 0,
            "filled_money": 0,
            "after_qty": record.quantity,
            **changes,
        }
    return order_object(record, **changes)


class StockOrders:
    def __init__(self, session: Session) -> None:
        self._session = session

    def place_order(self, account: Any, py_order: Any, unblock: bool | None = None) -> Any:
        session = self._session
        try:
            body = order_body(py_order)
            answer = session.request("POST", "/v1/orders", body)
        except (ClientRefusal, CallFailed) as exc:
            return result(False, str(exc))
        record = msgspec.convert(answer["data"], OrderResult)
        emit = session.callbacks.emit
        if unblock:
            ack = order_object(record, function_type=0, status=4, order_no=None, is_pre_order=True)
            emit("on_order", None, ack)
            emit("on_order", None, order_object(record, function_type=10, status=8, order_no=None))
            self._report_outcome(record)
            return result(True, None, ack)
        refusal = self._report_outcome(record)
        if refusal is not None:
            return result(False, refusal)
        return result(True, None, accepted(record, function_type=0))

    def _report_outcome(self, record: OrderResult) -> str | None:
        """Report the order's outcome on `on_order`; the refusal text, if refused."""
        if record.order_no is None:
            refusal = new_order_refusal(record.error_message)
            failure = order_object(
                record,
                function_type=90,
                status=90,
                order_no=None,
                after_qty=0,
                error_message=refusal.message,
            )
            self._session.callbacks.emit("on_order", refusal.code, failure)
            return refusal.message
        self._session.callbacks.emit("on_order", None, accepted(record, function_type=10))
        return None

    def batch_place_order(self, account: Any, orders: Any) -> Any:
        session = self._session
        orders = list(orders)
        if len(orders) > MAX_BATCH_ORDERS:
            return result(False, BATCH_TOO_LONG)
        try:
            bodies = [order_body(order) for order in orders]
            answer = session.request("POST", "/v1/orders/batch", {"orders": bodies})
        except (ClientRefusal, CallFailed) as exc:
            return result(False, str(exc))
        records = msgspec.convert(answer["data"], list[OrderResult])
        acks = [order_object(r, function_type=0, status=4, order_no=None) for r in records]
        for record in records:
            session.callbacks.emit(
                "on_order", None, order_object(record, function_type=0, status=8, order_no=None)
            )
        shuffled = list(records)
        session.rng.shuffle(shuffled)
        for record in shuffled:
            self._report_outcome(record)
        return result(True, None, acks)
