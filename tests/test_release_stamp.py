"""`--release broker-stamp`: a slot's last window counts from the stamp the broker's rate
limit counted its request by, moved to our clock. Against the real rehearsal exchange, with
windows short enough that a round trip is a large part of one, the engine sends sooner
than the answer rule allows (the answer rule's model of the broker sees crowded windows)
and still the exchange refuses nothing for rate: with latency spent mostly one way or the
other, jitter, a broker clock hours away from ours, stamps of 1 ms resolution, and stamps
that lie by a few milliseconds. Without a stamp the engine keeps to the answer rule."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tradeburst.clock import TAIPEI
from tradeburst.engine import FireOptions, Release, exit_code, fire
from tradeburst.engine._release_rule import StampedRelease
from tradeburst.exchange import CountedStamps, NetworkModel
from tradeburst.limits import LimitClass, LimitProfile, Window
from tradeburst.testing import rehearsal_exchange

from _engine_support import admin_stats, placed, write_orders
from _support import ADMIN, KEY_A, order
from _window_model import NotingBroker, window_breaches

MS = 1_000_000
PROFILE = LimitProfile(
    name="tight",
    limits={
        LimitClass.ORDER: Window(requests=6, seconds=0.1),
        LimitClass.BATCH: Window(requests=2, seconds=0.1),
    },
    connections=6,
)
"""160 orders a second in windows of 100 ms: a 30 ms round trip is a third of one."""
ORDERS = 200
RUN_TIMEOUT_S = 60.0


def hours_away(hours: int) -> time:
    """A time of day `hours` from now on the exchange's clock, for its clock to start at."""
    return (datetime.now(TAIPEI) + timedelta(hours=hours)).time().replace(microsecond=0)


CASES: dict[str, dict[str, Any]] = {
    "mostly-inbound": {"network": NetworkModel(latency_ms=30, jitter_ms=10, inbound_share=0.9)},
    "mostly-outbound": {"network": NetworkModel(latency_ms=30, jitter_ms=10, inbound_share=0.1)},
    "clock-hours-away": {
        "network": NetworkModel(latency_ms=20, jitter_ms=5),
        "clock_start": hours_away(5),
    },
    "stamps-of-1ms": {
        "network": NetworkModel(latency_ms=30, jitter_ms=5),
        "counted": CountedStamps(resolution_ns=MS),
    },
    "stamps-early-by-4ms": {
        "network": NetworkModel(latency_ms=30, jitter_ms=5, inbound_share=0.7),
        "counted": CountedStamps(resolution_ns=MS, shift_ns=-4 * MS),
    },
    "stamps-late-by-4ms": {
        "network": NetworkModel(latency_ms=30, jitter_ms=5),
        "counted": CountedStamps(shift_ns=4 * MS),
    },
}


async def _fire(folder: Path, release: Release | None, **config: Any) -> dict[str, Any]:
    exchange = rehearsal_exchange(
        api_keys=(KEY_A,), admin_key=ADMIN, profile="none", liquidity=False, always_open=True,
        seed=7, **config,
    )  # fmt: skip
    exchange.profile = PROFILE  # the exchange enforces, and declares, these limits
    source = write_orders(folder / "orders.csv", ORDERS)
    options = FireOptions(journal=folder / "run.sqlite", max_batch=5, release=release)
    async with exchange, NotingBroker(exchange.url, KEY_A) as broker:
        async with asyncio.timeout(RUN_TIMEOUT_S):
            result = await fire(source, broker, options)
        async with aiohttp.ClientSession() as session:
            records = await placed(session, exchange.url, ADMIN)
            refused = (await admin_stats(session, exchange.url, ADMIN))["rate_limited"]
    sent = Counter(name for call in broker.calls for name in call.orders)
    return {
        "code": exit_code(result),
        "refused": refused,
        "engine_refused": result.summary.rate_limit_rejections,
        "sent_once": sorted(sent.values()) == [1] * ORDERS,
        "placed": Counter(r["user_def"] for r in records) == sent,
        "answer_rule_breaches": window_breaches(broker.calls, PROFILE),
    }


@pytest.mark.parametrize("case", list(CASES))
async def test_broker_stamp_release_is_never_refused(tmp_path: Path, case: str) -> None:
    """The exchange's default release: sooner than the answer rule, never refused."""
    outcome = await _fire(tmp_path, None, **CASES[case])
    assert outcome["refused"] == 0
    assert outcome["engine_refused"] == 0
    assert outcome["code"] == 0
    assert outcome["sent_once"] and outcome["placed"]
    # Sent sooner than an answer-based release would have let it: the stamps were used.
    assert outcome["answer_rule_breaches"] != []


async def test_without_stamps_broker_stamp_keeps_to_the_answer(tmp_path: Path) -> None:
    """A sped-up exchange stamps nothing its clock reads could place: asked for
    broker-stamp, the engine frees each slot from its answer, as the answer model says."""
    outcome = await _fire(
        tmp_path, Release.BROKER_STAMP, network=NetworkModel(latency_ms=20), speed=2.0
    )
    assert outcome["refused"] == 0 and outcome["code"] == 0
    assert outcome["answer_rule_breaches"] == []


async def test_answers_carry_the_stamp_the_limit_counted_by(tmp_path: Path) -> None:
    """Single, batch, cancel and modify answers each carry a stamp on the exchange's
    clock, truncated to the resolution `/v1/limits` gives, between the clock reads around
    the request."""
    exchange = rehearsal_exchange(
        api_keys=(KEY_A,), liquidity=False, always_open=True, clock_start=hours_away(3),
        counted=CountedStamps(resolution_ns=MS),
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {KEY_A}"}
    body = order()
    async with exchange, aiohttp.ClientSession(exchange.url, headers=headers) as api:

        async def now_ns() -> int:
            async with api.get("/v1/time") as answer:
                return int((await answer.json())["exchange_time_ns"])

        async def post(path: str, payload: Any) -> dict[str, Any]:
            async with api.post(path, json=payload) as answer:
                assert answer.status == 200, await answer.text()
                data: dict[str, Any] = await answer.json()
                return data

        async with api.get("/v1/limits") as answer:
            assert (await answer.json())["data"]["counted_resolution_ns"] == MS
        stamps: list[tuple[int, int, int]] = []
        before = await now_ns()
        single = await post("/v1/orders", body)
        stamps.append((before, single["counted_ns"], await now_ns()))
        order_no = single["data"]["order_no"]
        for path, payload in (
            ("/v1/orders/batch", {"orders": [body, body]}),
            (f"/v1/orders/{order_no}/modify-quantity", {"quantity": 1}),
            (f"/v1/orders/{order_no}/cancel", {}),
        ):
            before = await now_ns()
            stamps.append((before, (await post(path, payload))["counted_ns"], await now_ns()))
    for before, counted, after in stamps:
        assert counted % MS == 0
        assert before - MS < counted <= after


def test_the_release_follows_the_least_trip() -> None:
    """The slot counts from its stamp less the least (stamp - send) seen, plus the
    resolution and the margin; never later than the answer, never before the send. (One
    lowest trip kept: no spread on top, see the next test.)"""
    rule = StampedRelease(resolution_ns=MS, margin_ns=MS, lowest_kept=1)
    broker = 5 * 3600 * 10**9  # the broker's clock is hours ahead of ours
    # First request: 10 ms on the way, answered 20 ms after it left.
    first = rule.release_at(1.000, 1.020, broker + 1_010 * MS)
    assert first == pytest.approx(1.000 + 0.002)
    # Second: 18 ms on the way (it queued), answered at 30 ms.
    assert rule.release_at(2.000, 2.030, broker + 2_018 * MS) == pytest.approx(2.010)
    # A faster trip lowers the least: later releases count from further back.
    assert rule.release_at(3.000, 3.020, broker + 3_004 * MS) == pytest.approx(3.002)
    assert rule.release_at(4.000, 4.020, broker + 4_010 * MS) == pytest.approx(4.008)
    # Never later than the answer; without a stamp, the answer.
    assert rule.release_at(5.000, 5.003, broker + 5_030 * MS) == 5.003
    assert rule.release_at(6.000, 6.020, None) == 6.020
    # Started from the clock reads' least trip, the first stamp cannot set it higher.
    seeded = StampedRelease(resolution_ns=0, least_ns=broker + 2 * MS, margin_ns=0, lowest_kept=1)
    assert seeded.release_at(1.000, 1.030, broker + 1_020 * MS) == pytest.approx(1.018)


def test_the_release_adds_the_spread_of_the_lowest_trips() -> None:
    """The least of a few trips may sit above the shortest trip to come (jitter, a loaded
    machine): the gap between the least and the highest of the lowest trips kept is added,
    wide while few trips are seen and scattered, narrow once the lowest ones agree."""
    rule = StampedRelease(resolution_ns=0, margin_ns=0, lowest_kept=3)
    broker = 5 * 3600 * 10**9
    # One trip: no spread yet.
    assert rule.release_at(1.000, 1.050, broker + 1_010 * MS) == pytest.approx(1.000)
    # 14 ms beside 10 ms: 4 ms above the least, and a spread of 4 ms more.
    assert rule.release_at(2.000, 2.050, broker + 2_014 * MS) == pytest.approx(2.008)
    # Lowest 10, 11, 14: the spread is still 4 ms.
    assert rule.release_at(3.000, 3.050, broker + 3_011 * MS) == pytest.approx(3.005)
    # Lowest 10, 10, 11 (14 is no longer kept): the spread narrows to 1 ms.
    assert rule.release_at(4.000, 4.050, broker + 4_010 * MS) == pytest.approx(4.001)
    # A trip above the kept ones changes nothing but its own distance from the least.
    assert rule.release_at(5.000, 5.050, broker + 5_030 * MS) == pytest.approx(5.021)
    # The clock reads' least lowers the least; until as many trips as kept are seen, how
    # far they are from it is spread too (the first trips queue, and a stamp may lie).
    seeded = StampedRelease(resolution_ns=0, least_ns=broker + 8 * MS, margin_ns=0, lowest_kept=3)
    assert seeded.release_at(1.000, 1.050, broker + 1_010 * MS) == pytest.approx(1.004)
    assert seeded.release_at(2.000, 2.050, broker + 2_009 * MS) == pytest.approx(2.003)
    # Three trips seen (9, 10, 12): their own spread, 3 ms, and the least is still 8 ms.
    assert seeded.release_at(3.000, 3.050, broker + 3_012 * MS) == pytest.approx(3.007)
