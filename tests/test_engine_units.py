"""The burst engine's pure parts: the throttle never lets a broker see more than its limit in
any window, the planner's schedule keeps every limit, client order ids are unique and valid,
and the journal keeps what it is given, held by one process at a time."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tradeburst.brokers import OrderState
from tradeburst.engine._ids import MAX_ORDERS_PER_RUN, RUN_ID_LEN, client_order_id, new_run_id
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._journal import GROUP_COMMIT_S, Journal, JournalError, RunRecord
from tradeburst.engine._planner import Plan, next_ready_at, next_request, plan
from tradeburst.engine._reconcile import apply_answer, match_records
from tradeburst.engine._throttle import DEFAULT_HEADROOM_S, Charge, Slots, Throttle
from tradeburst.limits import PROFILES, RATE_LIMIT_MESSAGE, LimitClass, LimitProfile, Window
from tradeburst.model import Order, OrderStatus, is_valid_user_def
from tradeburst.model._enums import MarketType, OrderType, PriceType, Side, TimeInForce

ORDER, BATCH, QUERY = LimitClass.ORDER, LimitClass.BATCH, LimitClass.QUERY
FUBON, SHIOAJI, NONE = PROFILES["fubon"], PROFILES["shioaji"], PROFILES["none"]
TINY = LimitProfile(name="tiny", limits={ORDER: Window(requests=3, seconds=0.1)})
"""3 orders per 0.1 s: small enough that every sequence fills its window."""
TINY_BATCHED = LimitProfile(
    name="tiny-batched",
    limits={ORDER: Window(requests=5, seconds=0.1), BATCH: Window(requests=2, seconds=0.1)},
    batch_counts_orders=True,
)
"""A batch call costs a batch slot and its orders: requests charging two classes at once."""
COUNTED = LimitProfile(
    name="counted",
    limits={ORDER: Window(requests=20, seconds=1.0), BATCH: Window(requests=3, seconds=1.0)},
    batch_counts_orders=True,
)
"""For the planner: batch calls limited and counting their orders too."""

BOUND_S = 2.0
"""Generous bound on anything that must happen within milliseconds on an idle machine."""

PROPERTY = settings(max_examples=40, deadline=None)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _fake(profile: LimitProfile, **kwargs: float) -> tuple[Throttle, FakeClock]:
    clock = FakeClock()
    return Throttle(profile, clock=clock, **kwargs), clock


def _one(limit_class: LimitClass, weight: int = 1) -> tuple[Charge, ...]:
    return (Charge(limit_class, weight),)


# -- throttle: the window invariant ------------------------------------------------------


@dataclass
class Sent:
    """One request as the throttle let it go: its charges, send time, answer time."""

    charges: tuple[Charge, ...]
    taken_at: float
    slots: Slots
    released_at: float = math.inf


def _actions(profile: LimitProfile) -> st.SearchStrategy[list[tuple[str, object]]]:
    """Random sends, answers and clock moves, scaled to the profile's shortest window."""
    classes = sorted(profile.limits)
    step_s = 0.6 * min(window.seconds for window in profile.limits.values())

    def charge(limit_class: LimitClass) -> st.SearchStrategy[Charge]:
        limit = profile.limits[limit_class].requests
        weight = st.one_of(st.just(1), st.integers(1, limit))
        return st.builds(Charge, st.just(limit_class), weight)

    charges = st.lists(
        st.sampled_from(classes), min_size=1, max_size=len(classes), unique=True
    ).flatmap(lambda chosen: st.tuples(*(charge(c) for c in chosen)))
    return st.lists(
        st.one_of(
            st.tuples(st.just("advance"), st.floats(0.0, step_s)),
            st.tuples(st.just("take"), charges),
            st.tuples(st.just("release"), st.integers(0, 1_000)),
        ),
        max_size=120,
    )


def _held(sent: list[Sent], limit_class: LimitClass, window_s: float, now: float) -> int:
    """Slots of `limit_class` the docstring's rule holds at `now`: from the send until
    window + headroom after the answer (the same float arithmetic as the throttle)."""
    return sum(
        c.weight
        for s in sent
        for c in s.charges
        if c.limit_class is limit_class
        and (s.released_at == math.inf or s.released_at + window_s + DEFAULT_HEADROOM_S > now)
    )


def _answer(sent: list[Sent], pick: int, now: float) -> None:
    """Release one still-unanswered request (chosen by `pick`), if any."""
    open_ = [s for s in sent if s.released_at == math.inf]
    if open_:
        chosen = open_[pick % len(open_)]
        chosen.slots.release()
        chosen.released_at = now


def _assert_no_window_overfull(profile: LimitProfile, sent: list[Sent]) -> None:
    """Whatever stamp the broker gave each request between its send and its answer, no
    window holds more than the limit: for the latest-sent request j of any set, every
    request that could share a window with it was sent no later and answered no earlier
    than taken_at(j) - window, and those weigh at most the limit."""
    for limit_class, window in profile.limits.items():
        limit, window_s = window.requests, window.seconds
        for j in sent:
            if not any(c.limit_class is limit_class for c in j.charges):
                continue
            together = sum(
                c.weight
                for i in sent
                for c in i.charges
                if c.limit_class is limit_class
                and i.taken_at <= j.taken_at
                and i.released_at >= j.taken_at - window_s
            )
            assert together <= limit, (limit_class, j.taken_at, together)


PROPERTY_PROFILES = [FUBON, SHIOAJI, TINY, TINY_BATCHED]


@pytest.mark.parametrize("profile", PROPERTY_PROFILES, ids=lambda p: p.name)
@PROPERTY
@given(data=st.data())
def test_no_window_ever_holds_more_than_the_limit(
    profile: LimitProfile, data: st.DataObject
) -> None:
    """For any sends and answers, adversarial broker stamps never overfill a window."""
    throttle, clock = _fake(profile)
    sent: list[Sent] = []
    for kind, arg in data.draw(_actions(profile)):
        if kind == "advance":
            assert isinstance(arg, float)
            clock.now += arg
        elif kind == "take":
            assert isinstance(arg, tuple)
            slots = throttle.try_take(arg)
            if slots is not None:
                sent.append(Sent(arg, clock.now, slots))
        else:
            assert isinstance(arg, int)
            _answer(sent, arg, clock.now)
    _assert_no_window_overfull(profile, sent)


@pytest.mark.parametrize("profile", PROPERTY_PROFILES, ids=lambda p: p.name)
@PROPERTY
@given(data=st.data())
def test_try_take_succeeds_exactly_when_the_hold_rule_leaves_room(
    profile: LimitProfile, data: st.DataObject
) -> None:
    """try_take and free() agree with 'held from send until window + headroom after the answer'."""
    throttle, clock = _fake(profile)
    sent: list[Sent] = []
    for kind, arg in data.draw(_actions(profile)):
        if kind == "advance":
            assert isinstance(arg, float)
            clock.now += arg
        elif kind == "take":
            assert isinstance(arg, tuple)
            fits = all(
                _held(sent, c.limit_class, profile.limits[c.limit_class].seconds, clock.now)
                + c.weight
                <= profile.limits[c.limit_class].requests
                for c in arg
            )
            slots = throttle.try_take(arg)
            assert (slots is not None) == fits
            if slots is not None:
                sent.append(Sent(arg, clock.now, slots))
        else:
            assert isinstance(arg, int)
            _answer(sent, arg, clock.now)
        for limit_class, window in profile.limits.items():
            limit, window_s = window.requests, window.seconds
            expected = limit - _held(sent, limit_class, window_s, clock.now)
            assert throttle.free(limit_class) == expected


@pytest.mark.parametrize("profile", PROPERTY_PROFILES, ids=lambda p: p.name)
@PROPERTY
@given(data=st.data())
def test_ready_at_is_the_first_instant_the_charges_fit(
    profile: LimitProfile, data: st.DataObject
) -> None:
    """A refused request fits at ready_at and not an instant before; inf only if in flight."""
    throttle, clock = _fake(profile)
    sent: list[Sent] = []
    for kind, arg in data.draw(_actions(profile)):
        if kind == "advance":
            assert isinstance(arg, float)
            clock.now += arg
        elif kind == "release":
            assert isinstance(arg, int)
            _answer(sent, arg, clock.now)
        else:
            assert isinstance(arg, tuple)
            slots = throttle.try_take(arg)
            if slots is None:
                ready = throttle.ready_at(arg)
                assert ready > clock.now
                if not math.isfinite(ready):
                    in_flight = [s for s in sent if s.released_at == math.inf]
                    assert any(
                        _held(in_flight, c.limit_class, 0.0, clock.now) + c.weight
                        > profile.limits[c.limit_class].requests
                        for c in arg
                    )
                    continue
                clock.now = math.nextafter(ready, -math.inf)
                assert throttle.try_take(arg) is None
                clock.now = ready
                slots = throttle.try_take(arg)
                assert slots is not None
            sent.append(Sent(arg, clock.now, slots))


# -- throttle: weights, penalties, counts ------------------------------------------------


def test_a_shioaji_batch_costs_one_order_slot_per_order() -> None:
    """Under shioaji a batch of 30 takes 30 of the 250 order slots."""
    throttle, _ = _fake(SHIOAJI)
    charges = throttle.charges_for(BATCH, 30)
    assert charges == (Charge(ORDER, 30),)
    assert throttle.try_take(charges) is not None
    assert throttle.free(ORDER) == 220


def test_a_fubon_batch_costs_one_batch_slot_only() -> None:
    """Under fubon a batch takes one batch slot and leaves the order slots alone."""
    throttle, _ = _fake(FUBON)
    charges = throttle.charges_for(BATCH, 30)
    assert charges == (Charge(BATCH),)
    assert throttle.try_take(charges) is not None
    assert (throttle.free(BATCH), throttle.free(ORDER)) == (9, 50)


def test_the_none_profile_charges_nothing() -> None:
    """Under the none profile every request is free and always fits."""
    throttle, _ = _fake(NONE)
    assert throttle.charges_for(ORDER) == ()
    assert throttle.charges_for(BATCH, 30) == ()
    assert throttle.try_take(()) is not None
    assert throttle.free(ORDER) is None


def test_free_counts_slots_until_window_and_headroom_after_the_answer() -> None:
    """free() drops on send, stays down after the answer, and recovers window + headroom later."""
    throttle, clock = _fake(FUBON, headroom_s=0.01)
    held = [throttle.try_take(_one(ORDER)) for _ in range(3)]
    assert throttle.free(ORDER) == 47
    clock.now = 0.5
    for slots in held:
        assert slots is not None
        slots.release()
    clock.now = 1.5
    assert throttle.free(ORDER) == 47
    clock.now = 1.51
    assert throttle.free(ORDER) == 50


def test_release_twice_gives_back_once() -> None:
    """A second release of the same slots is ignored."""
    throttle, clock = _fake(TINY, headroom_s=0.0)
    slots = throttle.try_take(_one(ORDER, 3))
    assert slots is not None
    slots.release()
    clock.now = 0.05
    slots.release()
    clock.now = 0.1
    assert throttle.free(ORDER) == 3


def test_free_is_none_for_a_class_the_profile_does_not_limit() -> None:
    """Shioaji does not limit queries, so free(QUERY) is None."""
    throttle, _ = _fake(SHIOAJI)
    assert throttle.free(QUERY) is None


def test_a_weight_larger_than_the_limit_raises() -> None:
    """A request that can never fit is refused with ValueError, not left waiting."""
    throttle, _ = _fake(FUBON)
    with pytest.raises(ValueError, match="never fit"):
        throttle.try_take(_one(ORDER, 51))
    with pytest.raises(ValueError, match="never fit"):
        throttle.ready_at(_one(BATCH, 11))


async def test_acquire_raises_for_a_weight_larger_than_the_limit() -> None:
    """acquire refuses an impossible weight at once instead of waiting forever."""
    throttle = Throttle(TINY)
    async with asyncio.timeout(BOUND_S):
        with pytest.raises(ValueError, match="never fit"):
            await throttle.acquire(_one(ORDER, 4))


def test_penalize_closes_the_class_until_the_backoff_ends() -> None:
    """After penalize(ORDER, 0.5) orders wait until 0.5 s later, then go."""
    throttle, clock = _fake(FUBON)
    clock.now = 2.0
    throttle.penalize(ORDER, 0.5)
    assert throttle.free(ORDER) == 0
    assert throttle.try_take(_one(ORDER)) is None
    assert throttle.ready_at(_one(ORDER)) == 2.5
    clock.now = 2.5
    assert throttle.try_take(_one(ORDER)) is not None


def test_penalize_leaves_other_classes_open() -> None:
    """A penalty on orders does not stop queries."""
    throttle, _ = _fake(FUBON)
    throttle.penalize(ORDER, 0.5)
    assert throttle.free(QUERY) == 5
    assert throttle.try_take(_one(QUERY)) is not None


def test_a_shorter_penalty_does_not_shorten_a_longer_one() -> None:
    """penalize keeps the later of the two back-off ends."""
    throttle, _ = _fake(FUBON)
    throttle.penalize(ORDER, 0.5)
    throttle.penalize(ORDER, 0.1)
    assert throttle.ready_at(_one(ORDER)) == 0.5


def test_penalize_on_an_unlimited_class_is_a_no_op() -> None:
    """Penalizing a class the profile does not limit changes nothing."""
    throttle, _ = _fake(SHIOAJI)
    throttle.penalize(QUERY, 1.0)
    assert throttle.free(ORDER) == 250


# -- throttle: waiting on a real loop ---------------------------------------------------


async def _grant(throttle: Throttle, name: str, weight: int, granted: list[str]) -> None:
    slots = await throttle.acquire(_one(ORDER, weight))
    granted.append(name)
    slots.release()


async def test_waiters_of_one_class_are_granted_in_arrival_order() -> None:
    """Waiters go first-in first-out, and a light one never overtakes a heavy head."""
    throttle = Throttle(LimitProfile(name="t", limits={ORDER: Window(requests=2, seconds=0.02)}))
    first = throttle.try_take(_one(ORDER))
    assert first is not None
    first.release()
    granted: list[str] = []
    async with asyncio.timeout(BOUND_S), asyncio.TaskGroup() as group:
        group.create_task(_grant(throttle, "heavy", 2, granted))
        group.create_task(_grant(throttle, "light", 1, granted))
        group.create_task(_grant(throttle, "last", 1, granted))
    assert granted == ["heavy", "light", "last"]


async def test_a_query_waiter_is_not_blocked_by_an_order_waiter() -> None:
    """A query is granted when its slot frees even while an earlier order waiter waits."""
    profile = LimitProfile(
        name="t",
        limits={ORDER: Window(requests=1, seconds=60.0), QUERY: Window(requests=1, seconds=0.02)},
    )
    throttle = Throttle(profile)
    order = throttle.try_take(_one(ORDER))
    query = throttle.try_take(_one(QUERY))
    assert order is not None and query is not None
    query.release()
    order_waiter = asyncio.create_task(throttle.acquire(_one(ORDER)))
    await asyncio.sleep(0)
    async with asyncio.timeout(BOUND_S):
        granted = await throttle.acquire(_one(QUERY))
    assert not order_waiter.done()
    granted.release()
    order_waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await order_waiter


async def test_a_cancelled_waiter_lets_the_next_one_through() -> None:
    """Cancelling a queued waiter takes it out of line; the next waiter gets the slot."""
    throttle = Throttle(LimitProfile(name="t", limits={ORDER: Window(requests=1, seconds=0.02)}))
    first = throttle.try_take(_one(ORDER))
    assert first is not None
    first.release()
    cancelled = asyncio.create_task(throttle.acquire(_one(ORDER)))
    nxt = asyncio.create_task(throttle.acquire(_one(ORDER)))
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    async with asyncio.timeout(BOUND_S):
        slots = await nxt
    assert throttle.free(ORDER) == 0
    slots.release()


async def test_a_waiter_cancelled_as_it_is_granted_hands_its_slots_back() -> None:
    """Slots granted to a waiter cancelled before it ran are given back, not leaked."""
    throttle = Throttle(
        LimitProfile(name="t", limits={ORDER: Window(requests=1, seconds=0.0)}), headroom_s=0.0
    )
    first = throttle.try_take(_one(ORDER))
    assert first is not None
    waiter = asyncio.create_task(throttle.acquire(_one(ORDER)))
    await asyncio.sleep(0)
    first.release()  # a zero window frees the slot at once: the waiter is granted right here
    assert throttle.free(ORDER) == 0
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert throttle.free(ORDER) == 1


async def test_a_third_acquire_waits_for_an_answer_and_then_the_window() -> None:
    """With 2 per 0.05 s, a third request goes only window + headroom after an answer."""
    loop = asyncio.get_running_loop()
    throttle = Throttle(LimitProfile(name="t", limits={ORDER: Window(requests=2, seconds=0.05)}))
    async with asyncio.timeout(BOUND_S):
        first = await throttle.acquire(_one(ORDER))
        second = await throttle.acquire(_one(ORDER))
    third = asyncio.create_task(throttle.acquire(_one(ORDER)))
    await asyncio.sleep(0.02)
    assert not third.done()  # both in flight: only an answer can make room
    answered_at = loop.time()
    first.release()
    async with asyncio.timeout(BOUND_S):
        slots = await third
    waited_s = loop.time() - answered_at
    assert 0.05 <= waited_s < BOUND_S
    slots.release()
    second.release()


# -- planner -----------------------------------------------------------------------------


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
    throttle, _ = _fake(FUBON)
    request = next_request(throttle, 100, 30)
    assert request is not None
    assert (request.batch, request.size, request.charges) == (True, 30, (Charge(BATCH),))


def test_next_request_sends_a_single_when_no_batch_call_fits() -> None:
    """With the batch slots used up, the next request is a single order."""
    throttle, _ = _fake(FUBON)
    assert throttle.try_take(_one(BATCH, 10)) is not None
    request = next_request(throttle, 100, 30)
    assert request is not None
    assert (request.batch, request.size) == (False, 1)


def test_next_request_shrinks_a_counted_batch_to_the_free_order_slots() -> None:
    """Under shioaji with 5 order slots left, the batch carries 5 orders."""
    throttle, _ = _fake(SHIOAJI)
    assert throttle.try_take(_one(ORDER, 245)) is not None
    request = next_request(throttle, 100, 30)
    assert request is not None
    assert (request.batch, request.size, request.charges) == (True, 5, (Charge(ORDER, 5),))


def test_next_request_is_none_when_nothing_fits_and_next_ready_at_says_when() -> None:
    """A full second gives no request; the next one fits a window after the answers."""
    throttle, clock = _fake(FUBON, headroom_s=0.0)
    held = [throttle.try_take(_one(BATCH, 10)), throttle.try_take(_one(ORDER, 50))]
    clock.now = 0.25
    for slots in held:
        assert slots is not None
        slots.release()
    assert next_request(throttle, 100, 30) is None
    assert next_ready_at(throttle, 100, 30) == 1.25


def test_next_ready_at_ignores_batch_slots_for_a_single_pending_order() -> None:
    """One pending order goes alone: a free batch slot does not make it ready."""
    throttle, _ = _fake(FUBON, headroom_s=0.0)
    held = throttle.try_take(_one(ORDER, 50))
    assert held is not None
    held.release()
    assert next_request(throttle, 1, 30) is None
    assert next_ready_at(throttle, 1, 30) == 1.0
    assert next_ready_at(throttle, 2, 30) == 0.0


def test_next_request_is_none_with_nothing_pending() -> None:
    """No pending orders, no request."""
    throttle, _ = _fake(FUBON)
    assert next_request(throttle, 0, 30) is None


# -- client order ids ---------------------------------------------------------------------

DAY_NS = st.integers(0, 86_400 * 10**9 - 1)
SEQ = st.integers(0, MAX_ORDERS_PER_RUN - 1)


@given(day_ns=DAY_NS)
def test_a_run_id_is_six_base36_characters(day_ns: int) -> None:
    """Run ids are 6 characters of 0-9 and A-Z."""
    run_id = new_run_id(day_ns)
    assert len(run_id) == RUN_ID_LEN == 6
    assert all(ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" for ch in run_id)


@given(day_ns=DAY_NS)
def test_a_run_id_starts_with_the_two_second_slot_of_the_day(day_ns: int) -> None:
    """The first 3 characters are the two-second slot of the day, base 36."""
    assert int(new_run_id(day_ns)[:3], 36) == day_ns // 2_000_000_000


def test_run_ids_of_the_same_instant_differ_in_their_random_tail() -> None:
    """200 runs starting at the same instant share the slot and all but a handful get a
    tail of their own (a constant tail would make every second run collide)."""
    ids = [new_run_id(12 * 3600 * 10**9) for _ in range(200)]
    assert len({run_id[:3] for run_id in ids}) == 1
    assert len({run_id[3:] for run_id in ids}) >= 190


@given(a=st.integers(0, 43_199), b=st.integers(0, 43_199))
def test_run_ids_of_different_slots_differ(a: int, b: int) -> None:
    """Runs in different two-second slots get different run id prefixes."""
    if a != b:
        assert new_run_id(a * 2_000_000_000)[:3] != new_run_id(b * 2_000_000_000)[:3]


@given(day_ns=DAY_NS, seq=SEQ)
def test_a_client_order_id_is_a_valid_ten_character_user_def(day_ns: int, seq: int) -> None:
    """Every client order id is 10 characters that Fubon keeps as user_def."""
    order_id = client_order_id(new_run_id(day_ns), seq)
    assert len(order_id) == 10
    assert is_valid_user_def(order_id)


@given(seq=SEQ)
def test_a_client_order_id_is_its_run_id_and_its_sequence(seq: int) -> None:
    """The id is the run id followed by seq in 4 base-36 digits, so it decodes back."""
    order_id = client_order_id("ABC123", seq)
    assert order_id[:6] == "ABC123"
    assert int(order_id[6:], 36) == seq


@given(seqs=st.sets(SEQ, min_size=2, max_size=200))
def test_client_order_ids_of_one_run_are_unique(seqs: set[int]) -> None:
    """Different sequence numbers never give the same id."""
    assert len({client_order_id("ABC123", seq) for seq in seqs}) == len(seqs)


@pytest.mark.parametrize("seq", [-1, MAX_ORDERS_PER_RUN])
def test_a_sequence_outside_the_run_raises(seq: int) -> None:
    """Past MAX_ORDERS_PER_RUN (or below 0) there is no id."""
    with pytest.raises(ValueError, match="at most"):
        client_order_id("ABC123", seq)


def test_the_last_sequence_of_a_run_has_an_id() -> None:
    """MAX_ORDERS_PER_RUN - 1 is the last id, ZZZZ."""
    assert client_order_id("ABC123", MAX_ORDERS_PER_RUN - 1) == "ABC123ZZZZ"


# -- journal ------------------------------------------------------------------------------

RUN_ID = "K3F0AB"


def _run_record(run_id: str = RUN_ID, created_ns: int = 1_000) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        created_ns=created_ns,
        command="fire",
        account="A1",
        broker="sim",
        url="http://127.0.0.1:1",
        profile="fubon",
        source="orders.csv",
        options={"max_batch": 30, "dry_run": False},
    )


def _orders(run_id: str = RUN_ID) -> list[Order]:
    """Orders touching every field: Decimal scales, each enum, no price."""
    return [
        Order(
            symbol="2330",
            side=Side.BUY,
            quantity=1000,
            price_twd=Decimal("580.50"),
            user_def=client_order_id(run_id, 0),
        ),
        Order(
            symbol="0050",
            side=Side.SELL,
            quantity=37,
            price_twd=Decimal("0.01"),
            time_in_force=TimeInForce.IOC,
            market_type=MarketType.INTRADAY_ODD,
            order_type=OrderType.MARGIN,
            user_def=client_order_id(run_id, 1),
        ),
        Order(
            symbol="2603",
            side=Side.BUY,
            quantity=2000,
            price_type=PriceType.MARKET,
            time_in_force=TimeInForce.FOK,
            order_type=OrderType.DAY_TRADE,
            user_def=client_order_id(run_id, 2),
        ),
        Order(
            symbol="00878",
            side=Side.SELL,
            quantity=1000,
            price_type=PriceType.LIMIT_UP,
            market_type=MarketType.ODD,
            order_type=OrderType.SBL,
            user_def=client_order_id(run_id, 3),
        ),
    ]


def _intents(run_id: str = RUN_ID) -> list[Intent]:
    return [
        Intent(seq=seq, line=seq + 2, tag=f"row{seq}", order=order)
        for seq, order in enumerate(_orders(run_id))
    ]


def _persisted(intent: Intent) -> tuple[object, ...]:
    """Everything the journal keeps of an intent, the order's price as written."""
    return (
        intent.seq,
        intent.line,
        intent.tag,
        intent.order,
        str(intent.order.price_twd),
        intent.state,
        intent.order_no,
        intent.status,
        intent.message,
        intent.attempts,
        intent.resent,
        intent.sent_ns,
        intent.answered_ns,
        intent.last_time,
    )


def _settle(intent: Intent, sent_ns: int) -> None:
    intent.state = IntentState.ACCEPTED
    intent.order_no = f"N{intent.seq:05d}"
    intent.status = 10
    intent.message = "成功"
    intent.attempts = 1
    intent.sent_ns = sent_ns
    intent.answered_ns = sent_ns + 5
    intent.last_time = "09:00:00.123"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """A journal holding one started run of four pending intents."""
    journal = Journal(tmp_path / "runs" / "run.sqlite", create=True)
    journal.start_run(_run_record(), _intents())
    yield journal
    journal.close()


def test_start_run_round_trips_every_intent_exactly(journal: Journal) -> None:
    """intents() gives back each order as given: Decimal scale, enums, user_def."""
    read = journal.intents(RUN_ID)
    assert [_persisted(i) for i in read] == [_persisted(i) for i in _intents()]
    assert [type(i.order.side) for i in read] == [Side] * 4
    assert [i.user_def for i in read] == [client_order_id(RUN_ID, seq) for seq in range(4)]


def test_start_run_round_trips_the_run_record(journal: Journal) -> None:
    """run() gives back the run as recorded, options decoded."""
    assert journal.run() == _run_record()


@settings(max_examples=25, deadline=None)
@given(
    price=st.decimals(
        min_value=Decimal("0.0001"), max_value=Decimal("1e7"), allow_nan=False, places=None
    )
)
def test_any_positive_price_round_trips_exactly(price: Decimal) -> None:
    """A Decimal price comes back with the same digits and exponent."""
    order = Order(symbol="2330", side=Side.BUY, quantity=1, price_twd=price, user_def="ABC1230000")
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j", create=True) as journal:
        journal.start_run(_run_record("ABC123"), [Intent(seq=0, line=2, tag="", order=order)])
        read = journal.intents("ABC123")[0].order.price_twd
    assert read is not None
    assert read.as_tuple() == price.as_tuple()


def test_record_without_a_loop_is_written_at_once(tmp_path: Path) -> None:
    """Outside an event loop record() commits immediately; a reopened journal sees it."""
    path = tmp_path / "run.sqlite"
    intents = _intents()
    with Journal(path, create=True) as journal:
        journal.start_run(_run_record(), intents)
        _settle(intents[1], sent_ns=2_000)
        journal.record(intents[1])
        statements: list[str] = []
        journal._db.set_trace_callback(statements.append)
    assert statements == []  # nothing was left for close() to write
    with Journal(path, create=False) as reopened:
        read = reopened.intents(RUN_ID)
    assert [_persisted(i) for i in read] == [_persisted(i) for i in intents]


async def test_records_inside_a_loop_are_written_later_by_one_commit(tmp_path: Path) -> None:
    """Inside a loop, records gather and one transaction writes them GROUP_COMMIT_S later."""
    path = tmp_path / "run.sqlite"
    intents = _intents()
    journal = Journal(path, create=True)
    journal.start_run(_run_record(), intents)
    statements: list[str] = []
    journal._db.set_trace_callback(statements.append)
    for n, intent in enumerate(intents):
        _settle(intent, sent_ns=2_000 + n)
        journal.record(intent)
    assert {i.state for i in journal.intents(RUN_ID)} == {IntentState.PENDING}
    await asyncio.sleep(2 * GROUP_COMMIT_S)  # the commit's timer is due first
    assert {i.state for i in journal.intents(RUN_ID)} == {IntentState.ACCEPTED}
    assert statements.count("COMMIT") == 1
    assert sum("UPDATE intents" in s for s in statements) == len(intents)
    journal.close()
    with Journal(path, create=False) as reopened:
        read = reopened.intents(RUN_ID)
    assert [_persisted(i) for i in read] == [_persisted(i) for i in intents]


async def test_close_writes_records_before_their_group_commit(tmp_path: Path) -> None:
    """A journal closed before its group commit ran still writes what was recorded."""
    path = tmp_path / "run.sqlite"
    intents = _intents()
    journal = Journal(path, create=True)
    journal.start_run(_run_record(), intents)
    _settle(intents[0], sent_ns=2_000)
    journal.record(intents[0])
    journal.close()
    await asyncio.sleep(2 * GROUP_COMMIT_S)  # the scheduled commit finds the journal closed
    with Journal(path, create=False) as reopened:
        assert reopened.intents(RUN_ID)[0].state is IntentState.ACCEPTED


def test_finish_run_stamps_the_run(journal: Journal) -> None:
    """finish_run records when the run ended."""
    journal.finish_run(RUN_ID, 9_999)
    assert journal.run().finished_ns == 9_999


_OPEN_ELSEWHERE = """
import sys
from pathlib import Path
from tradeburst.engine import Journal, JournalError
try:
    Journal(Path(sys.argv[1]), create=False).close()
except JournalError as exc:
    print(exc)
else:
    print("opened")
"""


def _open_in_another_process(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _OPEN_ELSEWHERE, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_a_journal_in_use_is_refused_to_another_process(tmp_path: Path) -> None:
    """While one process holds the journal, another gets JournalError 'in use'."""
    path = tmp_path / "run.sqlite"
    with Journal(path, create=True) as journal:
        journal.start_run(_run_record(), _intents())
        assert "in use" in _open_in_another_process(path)


def test_a_closed_journal_can_be_opened_by_another_process(tmp_path: Path) -> None:
    """Closing releases the lock."""
    path = tmp_path / "run.sqlite"
    with Journal(path, create=True) as journal:
        journal.start_run(_run_record(), _intents())
    assert _open_in_another_process(path) == "opened"


def test_opening_a_missing_journal_raises(tmp_path: Path) -> None:
    """create=False on a missing file is a JournalError, and creates nothing."""
    path = tmp_path / "missing.sqlite"
    with pytest.raises(JournalError, match="no such journal"):
        Journal(path, create=False)
    assert not path.exists()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    """Opening some other file (an orders CSV) is a JournalError."""
    path = tmp_path / "orders.csv"
    path.write_text("symbol,side,quantity,price\n2330,Buy,1000,580\n" * 100)
    with pytest.raises(JournalError, match="not a tradeburst journal"):
        Journal(path, create=False)


def test_a_journal_without_a_run_says_so(tmp_path: Path) -> None:
    """run() on a journal no run was started in is a JournalError."""
    with (
        Journal(tmp_path / "empty.sqlite", create=True) as journal,
        pytest.raises(JournalError, match="holds no run"),
    ):
        journal.run()


def test_close_is_idempotent(tmp_path: Path) -> None:
    """Closing twice is harmless."""
    journal = Journal(tmp_path / "run.sqlite", create=True)
    journal.close()
    journal.close()


def test_a_directory_is_refused_as_a_journal(tmp_path: Path) -> None:
    """A path that cannot be opened as a file (a directory) is a JournalError."""
    with pytest.raises(JournalError):
        Journal(tmp_path, create=True)


def _open_paths() -> set[str]:
    paths = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own fd is gone by now
            paths.add(os.readlink(f"/proc/self/fd/{fd}"))
    return paths


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see open files")
def test_a_refused_file_is_not_left_open(tmp_path: Path) -> None:
    """After refusing a non-SQLite file the journal holds no handle on it."""
    path = tmp_path / "orders.csv"
    path.write_bytes(b"not a database" * 300)
    with pytest.raises(JournalError) as refused:
        Journal(path, create=False)
    assert refused.value is not None
    assert str(path) not in _open_paths()


def test_a_failed_start_run_leaves_the_journal_usable(tmp_path: Path) -> None:
    """After start_run fails (duplicate client ids), a corrected start_run succeeds."""
    intents = _intents()
    with Journal(tmp_path / "run.sqlite", create=True) as journal:
        with pytest.raises(sqlite3.IntegrityError):
            journal.start_run(_run_record(), [intents[0], intents[0]])
        journal.start_run(_run_record(), intents)
        assert len(journal.intents(RUN_ID)) == len(intents)


# -- reconciliation ------------------------------------------------------------------------


def _record(user_def: str, status: OrderStatus, message: str | None = None) -> OrderState:
    return OrderState(
        user_def=user_def,
        order_no="00001",
        status=status,
        symbol="2891",
        quantity=1000,
        message=message,
    )


def _intent(user_def: str) -> Intent:
    order = Order(
        symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"), user_def=user_def
    )
    return Intent(seq=0, line=2, tag="", order=order, state=IntentState.UNKNOWN)


def test_reconciliation_finds_what_the_broker_has_by_user_def() -> None:
    """Intents the broker holds are paired with its records; the rest are missing."""
    held, gone = _intent("RUN0010000"), _intent("RUN0010001")
    found, undecided, missing = match_records(
        [held, gone], [_record("RUN0010000", OrderStatus.ACCEPTED)]
    )
    assert [(i.user_def, r.status) for i, r in found] == [("RUN0010000", OrderStatus.ACCEPTED)]
    assert (undecided, missing) == ([], [gone])


@pytest.mark.parametrize("status", list(OrderStatus))
def test_a_record_without_an_outcome_yet_is_undecided_never_missing_nor_settled(
    status: OrderStatus,
) -> None:
    """On its way to the back end (4, 8) or timed out between (9), the broker holds the
    order with no outcome: neither to send again nor to settle. Every other status settles."""
    intent, record = _intent("RUN0010000"), _record("RUN0010000", status)
    found, undecided, missing = match_records([intent], [record])
    waiting = status in (
        OrderStatus.SENT_TO_BACKEND,
        OrderStatus.BACKEND_SENDING,
        OrderStatus.CONNECTION_TIMEOUT,
    )
    assert missing == []
    if waiting:
        assert (found, undecided) == ([], [intent])
    else:
        assert (found, undecided) == ([(intent, record)], [])


def test_reconciliation_takes_a_rate_refusal_record_for_no_order() -> None:
    """A failed record carrying the rate-limit message means nothing was placed."""
    intent = _intent("RUN0010000")
    refusal = _record("RUN0010000", OrderStatus.FAILED, RATE_LIMIT_MESSAGE)
    assert match_records([intent], [refusal]) == ([], [], [intent])


def test_an_applied_answer_settles_the_intent_for_good() -> None:
    """A broker's record settles an intent as accepted or rejected, with its order number."""
    accepted, rejected = _intent("RUN0010000"), _intent("RUN0010001")
    apply_answer(accepted, _record("RUN0010000", OrderStatus.ACCEPTED), 5)
    apply_answer(rejected, _record("RUN0010001", OrderStatus.FAILED, "price off"), 6)
    assert (accepted.state, accepted.order_no, accepted.answered_ns) == (
        IntentState.ACCEPTED,
        "00001",
        5,
    )
    assert (rejected.state, rejected.message, rejected.state.is_final) == (
        IntentState.REJECTED,
        "price off",
        True,
    )
