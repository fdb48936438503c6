"""The account at one moment: what it holds, what still works, what filled today, and the
day's profit in TWD, exact.

The broker says the positions (shares, average cost, a last price or its own unrealised
figure), the working orders and today's fills; the rest is worked out here. Each fill's
fee and sell tax follow `Costs`. The realised profit replays today's fills per symbol at
the moving average cost, starting from the position the day opened with: today's fills
taken back out of the broker's position, at the average cost that replays to the broker's
average now (a position closed and opened again today keeps none of its opening cost, and
the broker's average stands in for it). The unrealised
profit is the broker's own figure when it gives one (Fubon), else the shares at the last
price less their cost; a position with neither is counted as `unpriced`. Neither counts
the fee and tax that closing the position would cost.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from tradeburst.brokers import AccountBroker, Position, WorkingOrder
from tradeburst.engine import Throttle
from tradeburst.limits import LimitClass
from tradeburst.model import Fill, Side
from tradeburst.rules import Costs, Holding, to_decimal

__all__ = ["AccountSnapshot", "FillLine", "Pnl", "PositionLine", "account_snapshot", "take"]

T = TypeVar("T")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionLine:
    position: Position
    unrealized_twd: Decimal | None
    """None when neither the broker's figure nor a last price is known."""

    @property
    def market_value_twd(self) -> Decimal | None:
        last = self.position.last_price_twd
        return None if last is None else last * self.position.shares


@dataclass(frozen=True, slots=True, kw_only=True)
class FillLine:
    fill: Fill
    fee_twd: Decimal
    tax_twd: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Pnl:
    realized_gross_twd: Decimal
    """What today's sales (and covers) earned against the average cost, before costs."""
    fees_twd: Decimal
    taxes_twd: Decimal
    unrealized_twd: Decimal
    unpriced: int
    """Positions left out of `unrealized_twd`: no price to value them."""

    @property
    def realized_twd(self) -> Decimal:
        """Today's realised profit after every fill's fee and tax."""
        return self.realized_gross_twd - self.fees_twd - self.taxes_twd

    @property
    def total_twd(self) -> Decimal:
        return self.realized_twd + self.unrealized_twd


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSnapshot:
    broker: str
    account: str
    taken_ns: int
    costs: Costs
    positions: list[PositionLine]
    working: list[WorkingOrder]
    fills: list[FillLine]
    pnl: Pnl


async def take(
    broker: AccountBroker, costs: Costs | None = None, *, throttle: Throttle | None = None
) -> AccountSnapshot:
    """The account of the connected `broker` now: three queries, through `throttle` (one
    of the broker's limits when none is given)."""
    throttle = throttle or Throttle(broker.profile)
    positions = await _query(throttle, broker.positions)
    working = await _query(throttle, broker.working_orders)
    fills = await _query(throttle, broker.fills)
    return account_snapshot(
        broker.name, broker.account, positions, working, fills, costs or Costs()
    )


async def _query(throttle: Throttle, ask: Callable[[], Awaitable[T]]) -> T:
    slots = await throttle.acquire(throttle.charges_for(LimitClass.QUERY))
    try:
        return await ask()
    finally:
        slots.release()


def account_snapshot(
    broker: str,
    account: str,
    positions: list[Position],
    working: list[WorkingOrder],
    fills: list[Fill],
    costs: Costs,
) -> AccountSnapshot:
    """The snapshot of what the broker said, with each fill's costs and the day's profit."""
    ordered = sorted(fills, key=lambda f: (f.time_ns, f.filled_no))
    lines = [_fill_line(f, costs) for f in ordered]
    held = [_position_line(p) for p in sorted(positions, key=lambda p: p.symbol)]
    priced = [line.unrealized_twd for line in held if line.unrealized_twd is not None]
    pnl = Pnl(
        realized_gross_twd=_realized(positions, ordered, costs),
        fees_twd=sum((line.fee_twd for line in lines), ZERO),
        taxes_twd=sum((line.tax_twd for line in lines), ZERO),
        unrealized_twd=sum(priced, ZERO),
        unpriced=len(held) - len(priced),
    )
    return AccountSnapshot(
        broker=broker, account=account, taken_ns=time.time_ns(), costs=costs, positions=held,
        working=sorted(working, key=lambda w: w.order_no), fills=lines, pnl=pnl,
    )  # fmt: skip


def _fill_line(fill: Fill, costs: Costs) -> FillLine:
    value = fill.price_twd * fill.quantity
    tax = costs.tax_twd(value) if fill.side is Side.SELL else ZERO
    return FillLine(fill=fill, fee_twd=costs.fee_twd(value), tax_twd=tax)


def _position_line(position: Position) -> PositionLine:
    unrealized = position.unrealized_twd
    if unrealized is None and position.last_price_twd is not None:
        holding = _holding(position.shares, position.average_cost_twd)
        unrealized = to_decimal(holding.unrealized(position.last_price_twd))
    return PositionLine(position=position, unrealized_twd=unrealized)


def _holding(shares: int, average_cost_twd: Decimal) -> Holding:
    return Holding(shares=shares, cost=Fraction(average_cost_twd) * abs(shares))


def _realized(positions: list[Position], fills: list[Fill], costs: Costs) -> Decimal:
    """Today's gross realised profit: each symbol's fills replayed from its opening
    position."""
    by_symbol: dict[str, list[Fill]] = defaultdict(list)
    for fill in fills:
        by_symbol[fill.symbol].append(fill)
    now = {p.symbol: p for p in positions}
    realized = Fraction(0)
    for symbol, its_fills in by_symbol.items():
        position = now.get(symbol)
        shares = position.shares if position is not None else 0
        cost = Fraction(position.average_cost_twd) * abs(shares) if position is not None else 0
        net = sum(f.quantity if f.side is Side.BUY else -f.quantity for f in its_fills)
        opening = shares - net
        average = _opening_average(opening, its_fills, Fraction(cost), costs)
        if average is None:  # closed and opened again today: the old cost is gone
            average = Fraction(position.average_cost_twd) if position is not None else Fraction(0)
        realized += _replay(opening, average, its_fills, costs).realized
    return to_decimal(realized)


def _replay(opening: int, average: Fraction, fills: list[Fill], costs: Costs) -> Holding:
    holding = Holding(shares=opening, cost=average * abs(opening))
    for fill in fills:
        holding.trade(buy=fill.side is Side.BUY, shares=fill.quantity,
                      price_twd=fill.price_twd, costs=costs)  # fmt: skip
    return holding


def _opening_average(
    opening: int, fills: list[Fill], cost_now: Fraction, costs: Costs
) -> Fraction | None:
    """The average cost the day opened with, worked back from the broker's cost now: the
    replay's final cost is affine in the opening average (a close scales the cost, a new
    position adds to it), so two replays give it. None when the position went through zero
    today, which leaves nothing of the opening cost in today's."""
    if opening == 0:
        return Fraction(0)
    at_zero = _replay(opening, Fraction(0), fills, costs).cost
    slope = _replay(opening, Fraction(1), fills, costs).cost - at_zero
    return None if slope == 0 else (cost_now - at_zero) / slope
