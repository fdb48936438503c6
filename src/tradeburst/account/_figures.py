"""An account snapshot as JSON-ready figures: `positions`, `working`, `fills`, `pnl`, with
every amount of money a string (an exact decimal), never a float."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeburst.account._snapshot import AccountSnapshot, FillLine, PositionLine
from tradeburst.brokers import WorkingOrder
from tradeburst.clock import exchange_datetime

__all__ = ["snapshot_figures", "working_figures"]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def working_figures(order: WorkingOrder) -> dict[str, Any]:
    return {
        "order_no": order.order_no,
        "user_def": order.user_def,
        "symbol": order.symbol,
        "side": order.side.value,
        "price": _money(order.price_twd),
        "quantity": order.quantity,
        "filled_qty": order.filled_qty,
        "open_qty": order.open_qty,
    }


def _position(line: PositionLine) -> dict[str, Any]:
    p = line.position
    return {
        "symbol": p.symbol,
        "shares": p.shares,
        "average_cost": _money(p.average_cost_twd),
        "last_price": _money(p.last_price_twd),
        "market_value": _money(line.market_value_twd),
        "unrealized": _money(line.unrealized_twd),
    }


def _fill(line: FillLine) -> dict[str, Any]:
    f = line.fill
    return {
        "order_no": f.order_no,
        "user_def": f.user_def,
        "symbol": f.symbol,
        "side": f.side.value,
        "quantity": f.quantity,
        "price": _money(f.price_twd),
        "time": exchange_datetime(f.time_ns).strftime("%H:%M:%S.%f"),
        "fee": _money(line.fee_twd),
        "tax": _money(line.tax_twd),
    }


def snapshot_figures(snapshot: AccountSnapshot) -> dict[str, Any]:
    pnl, costs = snapshot.pnl, snapshot.costs
    return {
        "broker": snapshot.broker,
        "account": snapshot.account,
        "positions": [_position(line) for line in snapshot.positions],
        "working": [working_figures(order) for order in snapshot.working],
        "fills": [_fill(line) for line in snapshot.fills],
        "pnl": {
            "currency": "TWD",
            "realized_gross": _money(pnl.realized_gross_twd),
            "fees": _money(pnl.fees_twd),
            "taxes": _money(pnl.taxes_twd),
            "realized": _money(pnl.realized_twd),
            "unrealized": _money(pnl.unrealized_twd),
            "unpriced_positions": pnl.unpriced,
            "total": _money(pnl.total_twd),
            "fee_rate": str(costs.fee_rate),
            "fee_discount": str(costs.fee_discount),
            "sell_tax": str(costs.sell_tax),
        },
    }
