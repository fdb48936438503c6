"""The account snapshot as rich tables: positions, working orders, today's fills, and the
day's profit, every amount exact as the library computed it."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Group
from rich.table import Table

from tradeburst.account import AccountSnapshot
from tradeburst.brokers import WorkingOrder
from tradeburst.clock import exchange_datetime

__all__ = ["orders_table", "snapshot_view"]


def _twd(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,}"


def _signed(value: Decimal | None) -> str:
    if value is None:
        return "?"
    colour = "green" if value > 0 else "red" if value < 0 else ""
    text = f"{value:+,}" if value else "0"
    return f"[{colour}]{text}[/]" if colour else text


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="left" if column in _LEFT else "right")
    return table


_LEFT = ("symbol", "side", "order", "user_def", "time", "reason")


def orders_table(title: str, orders: list[WorkingOrder], reasons: list[str] | None = None) -> Table:
    table = _table(title, "order", "user_def", "symbol", "side", "price", "open shares",
                   *(("reason",) if reasons is not None else ()))  # fmt: skip
    for i, order in enumerate(orders):
        price = "market" if order.price_twd is None else str(order.price_twd)
        row = [order.order_no, order.user_def or "", order.symbol, order.side.value, price,
               f"{order.open_qty:,}"]  # fmt: skip
        table.add_row(*row, *([reasons[i]] if reasons is not None else []))
    return table


def snapshot_view(snapshot: AccountSnapshot) -> Group:
    positions = _table(f"positions: {snapshot.broker} account {snapshot.account}", "symbol",
                       "shares", "average cost", "last", "market value", "unrealised")  # fmt: skip
    for line in snapshot.positions:
        p = line.position
        positions.add_row(p.symbol, f"{p.shares:,}", _twd(p.average_cost_twd),
                          _twd(p.last_price_twd), _twd(line.market_value_twd),
                          _signed(line.unrealized_twd))  # fmt: skip
    fills = _table(f"today's fills: {len(snapshot.fills)}", "time", "symbol", "side", "shares",
                   "price", "fee", "tax", "user_def")  # fmt: skip
    for f in snapshot.fills:
        fill = f.fill
        fills.add_row(exchange_datetime(fill.time_ns).strftime("%H:%M:%S.%f")[:-3], fill.symbol,
                      fill.side.value, f"{fill.quantity:,}", str(fill.price_twd),
                      _twd(f.fee_twd), _twd(f.tax_twd), fill.user_def or "")  # fmt: skip
    working = orders_table(f"working orders: {len(snapshot.working)}", snapshot.working)
    return Group(positions, working, fills, _pnl_table(snapshot))


def _pnl_table(snapshot: AccountSnapshot) -> Table:
    pnl, costs = snapshot.pnl, snapshot.costs
    table = Table(title="today's profit (TWD)", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("TWD", justify="right")
    table.add_row("realised, before costs", _signed(pnl.realized_gross_twd))
    table.add_row(f"fees ({costs.fee_rate} × {costs.fee_discount})", _twd(-pnl.fees_twd))
    table.add_row(f"sell tax ({costs.sell_tax})", _twd(-pnl.taxes_twd))
    table.add_row("realised", _signed(pnl.realized_twd))
    unpriced = f", {pnl.unpriced} positions unpriced" if pnl.unpriced else ""
    table.add_row(f"unrealised{unpriced}", _signed(pnl.unrealized_twd))
    table.add_row("total", _signed(pnl.total_twd))
    return table
