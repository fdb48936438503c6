"""The planner: which request goes next, and how fast the whole job could possibly go.

`next_request` is the greedy rule the dispatcher follows: a batch of up to
`max_batch` orders whenever a batch call fits the limits, else a single order whenever an
order fits; so every budget the profile allows (batch calls and single orders) is used at
once. `plan` runs the same rule on a virtual clock with instant answers, which gives the
schedule `--dry-run` prints and the theoretical lower bound: the time the limits force
between the first and the last send, plus one round trip for the last answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tradeburst.engine._throttle import Charge, Throttle
from tradeburst.engine._throttle_api import AccountThrottle
from tradeburst.limits import LimitClass, LimitProfile

__all__ = ["Plan", "PlanStep", "Request", "next_ready_at", "next_request", "plan"]


@dataclass(frozen=True, slots=True)
class Request:
    """`size` orders in one call: a batch call, or a single order when `batch` is false."""

    batch: bool
    size: int
    charges: tuple[Charge, ...]


def next_request(throttle: AccountThrottle, pending: int, max_batch: int) -> Request | None:
    """The request to send now for `pending` orders, or None if none fits now."""
    if pending <= 0:
        return None
    now = throttle.now()
    if max_batch > 1 and pending > 1:
        size = min(max_batch, pending)
        if throttle.profile.batch_counts_orders:
            free = throttle.free(LimitClass.ORDER)
            size = min(size, free if free is not None else size)
        if size > 1:
            charges = throttle.charges_for(LimitClass.BATCH, size)
            if throttle.ready_at(charges, now) <= now:
                return Request(batch=True, size=size, charges=charges)
    charges = throttle.charges_for(LimitClass.ORDER)
    if throttle.ready_at(charges, now) <= now:
        return Request(batch=False, size=1, charges=charges)
    return None


def next_ready_at(throttle: AccountThrottle, pending: int, max_batch: int) -> float:
    """When the next request for `pending` orders could fit (`inf` if only an answer can
    make room)."""
    when = throttle.ready_at(throttle.charges_for(LimitClass.ORDER))
    if max_batch > 1 and pending > 1:
        when = min(when, throttle.ready_at(throttle.charges_for(LimitClass.BATCH, 2)))
    return when


@dataclass(frozen=True, slots=True)
class PlanStep:
    at_s: float
    """Seconds after the first send."""
    batch: bool
    size: int


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[PlanStep, ...]

    @property
    def orders(self) -> int:
        return sum(step.size for step in self.steps)

    @property
    def last_send_s(self) -> float:
        return self.steps[-1].at_s if self.steps else 0.0

    def lower_bound_s(self, round_trip_s: float) -> float:
        """No sender can finish sooner: the limits' spacing and one round trip."""
        return self.last_send_s + round_trip_s if self.steps else 0.0

    def windows(self) -> list[tuple[float, int, int]]:
        """(time, batch calls, orders) per distinct send time, for printing."""
        rows: dict[float, list[int]] = {}
        for step in self.steps:
            row = rows.setdefault(round(step.at_s, 6), [0, 0])
            row[0] += step.batch
            row[1] += step.size
        return [(at, calls, orders) for at, (calls, orders) in rows.items()]


def plan(orders: int, profile: LimitProfile, max_batch: int) -> Plan:
    """The greedy schedule for `orders` orders, answers taken as instant."""
    clock = [0.0]
    throttle = Throttle(profile, headroom_s=0.0, clock=lambda: clock[0])
    steps: list[PlanStep] = []
    pending = orders
    while pending:
        request = next_request(throttle, pending, max_batch)
        if request is None:
            when = next_ready_at(throttle, pending, max_batch)
            if not math.isfinite(when):
                raise RuntimeError("the profile admits no request")  # only with broken limits
            clock[0] = when
            continue
        slots = throttle.try_take(request.charges)
        assert slots is not None  # next_request said it fits now
        steps.append(PlanStep(at_s=clock[0], batch=request.batch, size=request.size))
        pending -= request.size
        slots.release()
    return Plan(steps=tuple(steps))
