"""Whether the broker's market takes these orders when they would leave: a dry run's
warning. The time is the broker's clock now (`fire`) or a rush's target; what each phase of
the day takes is TWSE's timetable (`tradeburst.rules`), the same rule the rehearsal
exchange refuses by, unless the broker says it takes orders at any hour. The warning groups
the orders by reason, so a closed market is one line however many orders it refuses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import time as time_of_day

from tradeburst.brokers import Broker
from tradeburst.clock import exchange_datetime
from tradeburst.model import Order
from tradeburst.rules import order_type_problem, phase_at

__all__ = ["closed_market_warnings", "hours_warnings"]


def hours_warnings(orders: Sequence[Order], moment: time_of_day) -> list[str]:
    """One line per reason the market at `moment` (exchange time) would refuse some of
    `orders`, with how many; empty when it takes them all."""
    phase = phase_at(moment)
    reasons = Counter(
        problem
        for order in orders
        if (problem := order_type_problem(phase, order.price_type, order.time_in_force))
    )
    when = moment.isoformat(timespec="seconds")
    return [
        f"at {when} exchange time {reason}: {count} of {len(orders)} "
        f"order{'' if len(orders) == 1 else 's'} would be rejected"
        for reason, count in reasons.items()
    ]


async def closed_market_warnings(
    broker: Broker, orders: Sequence[Order], at: time_of_day | None
) -> list[str]:
    """`hours_warnings` at `at`, or at the broker's clock now when `at` is None; none for
    a broker that takes orders at any hour."""
    if broker.capabilities.always_open:
        return []
    moment = at if at is not None else exchange_datetime(await broker.server_time_ns()).time()
    return hours_warnings(orders, moment)
