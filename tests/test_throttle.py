"""The throttle never lets a broker see more than its limit in any window: weights,
penalties and counts per class, and waiters granted in order on a real loop."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeburst.engine._throttle import DEFAULT_HEADROOM_S, Charge, Slots, Throttle
from tradeburst.limits import LimitClass, LimitProfile, Window

from _throttle_support import (
    BATCH,
    FUBON,
    NONE,
    ORDER,
    QUERY,
    SHIOAJI,
    TINY,
    fake_throttle,
    one_charge,
)

TINY_BATCHED = LimitProfile(
    name="tiny-batched",
    limits={ORDER: Window(requests=5, seconds=0.1), BATCH: Window(requests=2, seconds=0.1)},
    batch_counts_orders=True,
)
"""A batch call costs a batch slot and its orders: requests charging two classes at once."""

BOUND_S = 2.0
"""Generous bound on anything that must happen within milliseconds on an idle machine."""

PROPERTY = settings(max_examples=40, deadline=None)


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
    throttle, clock = fake_throttle(profile)
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
    throttle, clock = fake_throttle(profile)
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
    throttle, clock = fake_throttle(profile)
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
    throttle, _ = fake_throttle(SHIOAJI)
    charges = throttle.charges_for(BATCH, 30)
    assert charges == (Charge(ORDER, 30),)
    assert throttle.try_take(charges) is not None
    assert throttle.free(ORDER) == 220


def test_a_fubon_batch_costs_one_batch_slot_only() -> None:
    """Under fubon a batch takes one batch slot and leaves the order slots alone."""
    throttle, _ = fake_throttle(FUBON)
    charges = throttle.charges_for(BATCH, 30)
    assert charges == (Charge(BATCH),)
    assert throttle.try_take(charges) is not None
    assert (throttle.free(BATCH), throttle.free(ORDER)) == (9, 50)


def test_the_none_profile_charges_nothing() -> None:
    """Under the none profile every request is free and always fits."""
    throttle, _ = fake_throttle(NONE)
    assert throttle.charges_for(ORDER) == ()
    assert throttle.charges_for(BATCH, 30) == ()
    assert throttle.try_take(()) is not None
    assert throttle.free(ORDER) is None


def test_free_counts_slots_until_window_and_headroom_after_the_answer() -> None:
    """free() drops on send, stays down after the answer, and recovers window + headroom later."""
    throttle, clock = fake_throttle(FUBON, headroom_s=0.01)
    held = [throttle.try_take(one_charge(ORDER)) for _ in range(3)]
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
    throttle, clock = fake_throttle(TINY, headroom_s=0.0)
    slots = throttle.try_take(one_charge(ORDER, 3))
    assert slots is not None
    slots.release()
    clock.now = 0.05
    slots.release()
    clock.now = 0.1
    assert throttle.free(ORDER) == 3


def test_free_is_none_for_a_class_the_profile_does_not_limit() -> None:
    """Shioaji does not limit queries, so free(QUERY) is None."""
    throttle, _ = fake_throttle(SHIOAJI)
    assert throttle.free(QUERY) is None


def test_a_weight_larger_than_the_limit_raises() -> None:
    """A request that can never fit is refused with ValueError, not left waiting."""
    throttle, _ = fake_throttle(FUBON)
    with pytest.raises(ValueError, match="never fit"):
        throttle.try_take(one_charge(ORDER, 51))
    with pytest.raises(ValueError, match="never fit"):
        throttle.ready_at(one_charge(BATCH, 11))


async def test_acquire_raises_for_a_weight_larger_than_the_limit() -> None:
    """acquire refuses an impossible weight at once instead of waiting forever."""
    throttle = Throttle(TINY)
    async with asyncio.timeout(BOUND_S):
        with pytest.raises(ValueError, match="never fit"):
            await throttle.acquire(one_charge(ORDER, 4))


def test_penalize_closes_the_class_until_the_backoff_ends() -> None:
    """After penalize(ORDER, 0.5) orders wait until 0.5 s later, then go."""
    throttle, clock = fake_throttle(FUBON)
    clock.now = 2.0
    throttle.penalize(ORDER, 0.5)
    assert throttle.free(ORDER) == 0
    assert throttle.try_take(one_charge(ORDER)) is None
    assert throttle.ready_at(one_charge(ORDER)) == 2.5
    clock.now = 2.5
    assert throttle.try_take(one_charge(ORDER)) is not None


def test_penalize_leaves_other_classes_open() -> None:
    """A penalty on orders does not stop queries."""
    throttle, _ = fake_throttle(FUBON)
    throttle.penalize(ORDER, 0.5)
    assert throttle.free(QUERY) == 5
    assert throttle.try_take(one_charge(QUERY)) is not None


def test_a_shorter_penalty_does_not_shorten_a_longer_one() -> None:
    """penalize keeps the later of the two back-off ends."""
    throttle, _ = fake_throttle(FUBON)
    throttle.penalize(ORDER, 0.5)
    throttle.penalize(ORDER, 0.1)
    assert throttle.ready_at(one_charge(ORDER)) == 0.5


def test_penalize_on_an_unlimited_class_is_a_no_op() -> None:
    """Penalizing a class the profile does not limit changes nothing."""
    throttle, _ = fake_throttle(SHIOAJI)
    throttle.penalize(QUERY, 1.0)
    assert throttle.free(ORDER) == 250


# -- throttle: waiting on a real loop ---------------------------------------------------


async def _grant(throttle: Throttle, name: str, weight: int, granted: list[str]) -> None:
    slots = await throttle.acquire(one_charge(ORDER, weight))
    granted.append(name)
    slots.release()


async def test_waiters_of_one_class_are_granted_in_arrival_order() -> None:
    """Waiters go first-in first-out, and a light one never overtakes a heavy head."""
    throttle = Throttle(LimitProfile(name="t", limits={ORDER: Window(requests=2, seconds=0.02)}))
    first = throttle.try_take(one_charge(ORDER))
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
    order = throttle.try_take(one_charge(ORDER))
    query = throttle.try_take(one_charge(QUERY))
    assert order is not None and query is not None
    query.release()
    order_waiter = asyncio.create_task(throttle.acquire(one_charge(ORDER)))
    await asyncio.sleep(0)
    async with asyncio.timeout(BOUND_S):
        granted = await throttle.acquire(one_charge(QUERY))
    assert not order_waiter.done()
    granted.release()
    order_waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await order_waiter


async def test_a_cancelled_waiter_lets_the_next_one_through() -> None:
    """Cancelling a queued waiter takes it out of line; the next waiter gets the slot."""
    throttle = Throttle(LimitProfile(name="t", limits={ORDER: Window(requests=1, seconds=0.02)}))
    first = throttle.try_take(one_charge(ORDER))
    assert first is not None
    first.release()
    cancelled = asyncio.create_task(throttle.acquire(one_charge(ORDER)))
    nxt = asyncio.create_task(throttle.acquire(one_charge(ORDER)))
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
    first = throttle.try_take(one_charge(ORDER))
    assert first is not None
    waiter = asyncio.create_task(throttle.acquire(one_charge(ORDER)))
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
        first = await throttle.acquire(one_charge(ORDER))
        second = await throttle.acquire(one_charge(ORDER))
    third = asyncio.create_task(throttle.acquire(one_charge(ORDER)))
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
