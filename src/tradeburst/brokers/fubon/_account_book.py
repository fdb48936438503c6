"""The Fubon account as a whole, for the kill switch and `tradeburst account`: the orders
still working (`get_order_results`, read with their side and working price) and the
positions (`accounting.unrealized_gains_and_loses`: shares, cost price, the broker's own
unrealised profit and loss). The worker calls `working_reply` and `holdings_reply` on the
SDK's results; the values cross the pipe as `WorkingOrder`s and `Position`s.

Shares are `today_qty` (what the account holds now, overnight shares included), falling
back to `tradable_qty`; a short (`buy_sell` Sell) counts as negative shares.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tradeburst.brokers._account import Position, WorkingOrder
from tradeburst.brokers.fubon._mapping import price_of, result_status
from tradeburst.brokers.fubon._wire import Reply
from tradeburst.model import PriceType, Side

__all__ = ["holdings_reply", "position_of", "working_of", "working_reply"]


def _name(value: Any) -> str:
    """`BSAction.Buy` → `Buy` (2.3.1's enums print as `Type.Member`)."""
    return str(value).rpartition(".")[2]


def working_of(raw: Any) -> WorkingOrder | None:
    """An SDK `OrderResult` as a working order, or None when it can no longer fill."""
    status = result_status(raw.status, raw.function_type)
    quantity, filled = int(raw.after_qty or 0), int(raw.filled_qty or 0)
    if status.is_final or quantity <= filled or not raw.order_no:
        return None
    price_type = raw.after_price_type if raw.after_price_type is not None else raw.price_type
    price = raw.after_price if raw.after_price is not None else raw.price
    return WorkingOrder(
        order_no=raw.order_no,
        user_def=raw.user_def or None,
        symbol=raw.stock_no,
        side=Side(_name(raw.buy_sell)),
        price_type=PriceType(_name(price_type)),
        price_twd=None if price is None else price_of(price),
        quantity=quantity,
        filled_qty=filled,
        status=status,
    )


def position_of(raw: Any) -> Position:
    """An SDK `UnrealizedData`."""
    shares = int(raw.today_qty if raw.today_qty is not None else raw.tradable_qty or 0)
    if _name(raw.buy_sell) == Side.SELL.value:
        shares = -shares
    profit = Decimal(int(raw.unrealized_profit or 0)) - Decimal(int(raw.unrealized_loss or 0))
    return Position(
        symbol=raw.stock_no,
        shares=shares,
        average_cost_twd=price_of(raw.cost_price or 0),
        unrealized_twd=profit,
    )


def working_reply(call_id: int, result: Any, remember: Callable[[Any], Any]) -> Reply:
    """The answer to `get_order_results`, as working orders; each record is remembered,
    since a cancel needs the SDK's own object."""
    if not result.is_success:
        return Reply(id=call_id, message=result.message)
    working = []
    for raw in result.data or []:
        remember(raw)
        order = working_of(raw)
        if order is not None:
            working.append(order)
    return Reply(id=call_id, ok=True, working=working)


def holdings_reply(call_id: int, result: Any) -> Reply:
    """The answer to `accounting.unrealized_gains_and_loses`, as positions."""
    if not result.is_success:
        return Reply(id=call_id, message=result.message)
    positions = [position_of(raw) for raw in result.data or []]
    return Reply(id=call_id, ok=True, positions=[p for p in positions if p.shares])
