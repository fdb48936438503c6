"""The planner's schedule places every order and keeps every limit of the profile, and
its next request is the largest that fits now."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tradeburst.engine._planner import Plan, next_ready_at, next_request, plan
from tradeburst.engine._throttle import Charge
from tradeburst.limits import LimitClass, LimitProfile, Window

from _throttle_support import (
    BATCH,
    FUBON,
    NONE,
    ORDER,
    SHIOAJI,
    TINY,
    fake_throttle,
    one_charge,
)

COUNTED = LimitProfile(
    name="counted",
    limits={ORDER: Window(requests=20, seconds=1.0), BATCH: Window(requests=3, seconds=1.0)},
    batch_counts_orders=True,
)
"""For the planner: batch calls limited and counting their orders too."""


def _weights(profile: LimitProfile, batch: bool, size: int) -> dict[LimitClass, int]:
    """What one plan step costs per class, as the broker counts it."""
    if batch:
        return {BATCH: 1, ORDER: size if profile.batch_counts_orders else 0}
    return {ORDER: 1}


def _assert_plan_keeps_limits(the_plan: Plan, profile: LimitProfile) -> None:
    """Every half-open window [t, t + w) of each class holds at most its limit (steps are in
    time order, so one pass with a trailing edge suffices)."""
    steps = the_plan.steps
    assert all(a.at_s <= b.at_s for a, b in itertools.pairwise(steps))
    for limit_class, window in profile.limits.items():
        limit, window_s = window.requests, window.seconds
        cost = [_weights(profile, s.batch, s.size).get(limit_class, 0) for s in steps]
        start = total = 0
        for j, step in enumerate(steps):
            total += cost[j]
            while steps[start].at_s <= step.at_s - window_s + 1e-9:
                total -= cost[start]
                start += 1
            assert total <= limit, (limit_class, step.at_s, total)


@pytest.mark.parametrize("orders", [1, 30, 100, 350, 351, 500, 2000])
def test_fubon_plan_sends_350_a_second(orders: int) -> None:
    """fubon, batches of 30: 10 batch calls and 50 singles a second, every order once."""
    the_plan = plan(orders, FUBON, 30)
    assert the_plan.orders == orders
    per_second: dict[float, tuple[int, int]] = {}
    for step in the_plan.steps:
        calls, singles = per_second.get(step.at_s, (0, 0))
        per_second[step.at_s] = (calls + step.batch, singles + (not step.batch))
    assert all(calls <= 10 and singles <= 50 for calls, singles in per_second.values())
    assert the_plan.last_send_s == math.ceil(orders / 350) - 1


@pytest.mark.parametrize("orders", [1, 50, 51, 500])
def test_fubon_plan_without_batches_sends_50_singles_a_second(orders: int) -> None:
    """With max_batch=1 the plan holds only singles, 50 a second."""
    the_plan = plan(orders, FUBON, 1)
    assert not any(step.batch for step in the_plan.steps)
    assert the_plan.orders == orders
    assert the_plan.last_send_s == math.ceil(orders / 50) - 1


def test_shioaji_plan_of_500_orders_takes_10_seconds() -> None:
    """Shioaji allows 250 orders per 10 s: 250 at once, the other 250 ten seconds later."""
    the_plan = plan(500, SHIOAJI, 30)
    assert the_plan.last_send_s == 10.0
    assert [(at, orders) for at, _, orders in the_plan.windows()] == [(0.0, 250), (10.0, 250)]


def test_none_plan_sends_everything_at_once() -> None:
    """With no limits every order goes at t=0."""
    the_plan = plan(1000, NONE, 30)
    assert the_plan.orders == 1000
    assert {step.at_s for step in the_plan.steps} == {0.0}


@pytest.mark.parametrize("profile", [FUBON, SHIOAJI, COUNTED, TINY], ids=lambda p: p.name)
@settings(max_examples=25, deadline=None)
@given(orders=st.integers(1, 3000), max_batch=st.integers(1, 30))
@example(orders=3000, max_batch=1)
@example(orders=3000, max_batch=30)
def test_any_plan_places_every_order_within_every_window(
    profile: LimitProfile, orders: int, max_batch: int
) -> None:
    """For any size, the plan places exactly the orders and keeps every sliding window."""
    the_plan = plan(orders, profile, max_batch)
    assert the_plan.orders == orders
    assert all(1 <= step.size <= max_batch for step in the_plan.steps)
    _assert_plan_keeps_limits(the_plan, profile)


def test_lower_bound_is_last_send_plus_one_round_trip() -> None:
    """lower_bound_s(rtt) = last_send_s + rtt."""
    the_plan = plan(351, FUBON, 30)
    assert the_plan.lower_bound_s(0.05) == pytest.approx(1.05)


def test_an_empty_plan_takes_no_time() -> None:
    """Zero orders: no steps, nothing to wait for."""
    the_plan = plan(0, FUBON, 30)
    assert (the_plan.steps, the_plan.last_send_s, the_plan.lower_bound_s(0.05)) == ((), 0.0, 0.0)


def test_windows_groups_steps_by_send_time() -> None:
    """windows() gives (time, batch calls, orders) per distinct send time."""
    assert plan(400, FUBON, 30).windows() == [(0.0, 10, 350), (1.0, 2, 50)]


def test_next_request_prefers_a_full_batch() -> None:
    """With batch calls free, the next request is a batch of max_batch."""
    throttle, _ = fake_throttle(FUBON)
    request = next_request(throttle, 100, 30)
    assert request is not None
    assert (request.batch, request.size, request.charges) == (True, 30, (Charge(BATCH),))


def test_next_request_sends_a_single_when_no_batch_call_fits() -> None:
    """With the batch slots used up, the next request is a single order."""
    throttle, _ = fake_throttle(FUBON)
    assert throttle.try_take(one_charge(BATCH, 10)) is not None
    request = next_request(throttle, 100, 30)
    assert request is not None
    assert (request.batch, request.size) == (False, 1)


def test_next_request_shrinks_a_counted_batch_to_the_free_order_slots() -> None:
    """Under shioaji with 5 order slots left, the batch carries 5 orders."""
    throttle, _ = fake_throttle(SHIOAJI)
    assert throttle.try_take(one_charge(ORDER, 245)) is not None
    request = next_request(throttle, 100, 30)
    assert request is not None
    assert (request.batch, request.size, request.charges) == (True, 5, (Charge(ORDER, 5),))


def test_next_request_is_none_when_nothing_fits_and_next_ready_at_says_when() -> None:
    """A full second gives no request; the next one fits a window after the answers."""
    throttle, clock = fake_throttle(FUBON, headroom_s=0.0)
    held = [throttle.try_take(one_charge(BATCH, 10)), throttle.try_take(one_charge(ORDER, 50))]
    clock.now = 0.25
    for slots in held:
        assert slots is not None
        slots.release()
    assert next_request(throttle, 100, 30) is None
    assert next_ready_at(throttle, 100, 30) == 1.25


def test_next_ready_at_ignores_batch_slots_for_a_single_pending_order() -> None:
    """One pending order goes alone: a free batch slot does not make it ready."""
    throttle, _ = fake_throttle(FUBON, headroom_s=0.0)
    held = throttle.try_take(one_charge(ORDER, 50))
    assert held is not None
    held.release()
    assert next_request(throttle, 1, 30) is None
    assert next_ready_at(throttle, 1, 30) == 1.0
    assert next_ready_at(throttle, 2, 30) == 0.0


def test_next_request_is_none_with_nothing_pending() -> None:
    """No pending orders, no request."""
    throttle, _ = fake_throttle(FUBON)
    assert next_request(throttle, 0, 30) is None
