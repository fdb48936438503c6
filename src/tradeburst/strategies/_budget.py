"""The run's risk limits across all strategies: every order any strategy submits is
checked by the engine's `check_orders` against the market's rules and the per-order
limits, and against what is left of the run-wide limits (orders, shares, notional) after
everything submitted before it. What passes is counted; what fails is refused whole."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from tradeburst.brokers import Instrument
from tradeburst.engine import InputProblem, OrderRow, RiskLimits, check_orders, priced_at

__all__ = ["RiskBudget"]

N = TypeVar("N", int, Decimal)


class RiskBudget:
    def __init__(self, limits: RiskLimits, instruments: Mapping[str, Instrument]) -> None:
        self.limits = limits
        self.instruments = instruments
        self.orders = 0
        self.shares = 0
        self.notional_twd = Decimal(0)

    def take(self, rows: Sequence[OrderRow], where: str) -> list[InputProblem]:
        """Problems of `rows`; if none, they are counted against the run's limits."""
        limits = self.limits
        left_orders = limits.max_orders - self.orders
        if left_orders < len(rows):
            reason = f"over max_orders {limits.max_orders} for the run ({self.orders} taken)"
            return [InputProblem(where, None, reason)]
        remaining = dataclasses.replace(
            limits,
            max_orders=left_orders,
            max_run_qty=_left(limits.max_run_qty, self.shares),
            max_run_notional_twd=_left(limits.max_run_notional_twd, self.notional_twd),
        )
        if (limits.max_run_qty is not None and remaining.max_run_qty is None) or (
            limits.max_run_notional_twd is not None and remaining.max_run_notional_twd is None
        ):
            return [InputProblem(where, None, "the run's share or notional limit is used up")]
        problems = check_orders(rows, self.instruments, remaining, where)
        if problems:
            return problems
        self.orders += len(rows)
        for row in rows:
            self.shares += row.order.quantity
            instrument = self.instruments[row.order.symbol]
            self.notional_twd += priced_at(row.order, instrument).price_twd * row.order.quantity
        return []


def _left(cap: N | None, used: N) -> N | None:
    """What is left of `cap`; None when nothing is (or there is no cap)."""
    if cap is None or cap - used <= 0:
        return None
    return cap - used
