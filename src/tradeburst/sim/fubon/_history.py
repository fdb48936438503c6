"""What `get_order_results_detail` shows in `details`: each order's changes as the SDK saw
them on the exchange's account stream since its login (the exchange keeps an order's
current record, not its history). One `OrderDetail` per change: the new order, each price
or quantity change, the cancel, and the fill that completes it (function_type 50).
"""

from __future__ import annotations

import threading
from typing import Any

from tradeburst.model import FunctionType, OrderStatus
from tradeburst.sim.fubon._objects import OrderDetail
from tradeburst.wire import OrderResult

__all__ = ["History"]


class History:
    def __init__(self) -> None:
        self._details: dict[str, list[Any]] = {}
        self._lock = threading.Lock()

    def changed(self, record: OrderResult) -> None:
        function_type = record.function_type
        if record.status is OrderStatus.FILLED:
            function_type = FunctionType.FILLED
        detail = OrderDetail(
            function_type=None if function_type is None else int(function_type),
            modified_time=record.last_time,
            before_qty=record.before_qty,
            after_qty=record.after_qty,
            before_price=None if record.before_price is None else float(record.before_price),
            after_price=None if record.after_price is None else float(record.after_price),
            filled_money=float(record.filled_money),
            status=int(record.status),
            err_msg=record.error_message,
        )
        with self._lock:
            details = self._details.setdefault(record.seq_no, [])
            if not details or repr(details[-1]) != repr(detail):
                details.append(detail)

    def of(self, seq_no: str) -> list[Any]:
        with self._lock:
            return list(self._details.get(seq_no, []))
