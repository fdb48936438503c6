"""What a trade writes into the books of record: the order record's filled quantity and
money, and one Fubon-shaped `FilledData` per side. Money is whole TWD, counted in integer
cents (a price in cents times shares, truncated as Fubon's `filled_money` is); only the
average price is a `Decimal`, rounded to four places."""

from __future__ import annotations

from decimal import Decimal

from tradeburst.model import OrderStatus
from tradeburst.wire import FilledData, OrderResult

__all__ = ["fill_record"]

_AVERAGE_QUANTUM = Decimal("0.0001")
_FILLED = OrderStatus.FILLED
"""A module constant: on Python 3.11 an enum member read goes through the metaclass's
attribute hook, several times the cost of a global, and every fill reads it."""


def fill_record(
    record: OrderResult,
    quantity: int,
    price_cents: int,
    price: Decimal,
    filled_no: str,
    now_ns: int,
    now_text: str,
) -> FilledData:
    """Count `quantity` shares at `price` (= `price_cents` / 100) as filled on `record`,
    and the fill that tells of it."""
    record.filled_qty += quantity
    # int(price * quantity) for a positive price is the floor of the cents product.
    record.filled_money += price_cents * quantity // 100
    record.last_time = now_text
    if record.filled_qty == record.after_qty:
        record.status = _FILLED
    assert record.order_no is not None
    return FilledData(
        date=record.date,
        branch_no=record.branch_no,
        account=record.account,
        seq_no=record.seq_no,
        order_no=record.order_no,
        stock_no=record.stock_no,
        buy_sell=record.buy_sell,
        order_type=record.order_type,
        filled_no=filled_no,
        filled_avg_price=(Decimal(record.filled_money) / record.filled_qty).quantize(
            _AVERAGE_QUANTUM
        ),
        filled_qty=quantity,
        filled_price=price,
        filled_time=now_text,
        user_def=record.user_def,
        filled_ns=now_ns,
    )
