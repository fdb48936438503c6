"""The dispatcher with its throttle, against a model of the broker's window (hypothesis):
for random order streams, batch sizes, connections, link latencies and limit profiles, the
requests `fire` sends never exceed the broker's limit in any window, and every order is sent
once. The limit was guarded end to end by a single refusal count before.

The model is a broker that counts a request when it arrives, somewhere between its send and
its answer, in a sliding window per limit class: a run breaks it if some arrival times the
network could have chosen put more than the limit in one window. The requests are the real
ones `fire` sends to the real rehearsal exchange (it enforces the same profile, and must
refuse none); the broker below only notes when each call left and when its answer came.
The model is the answer rule's (`--release answer`): a slot counts from its answer;
`test_release_stamp.py` checks the broker-stamp rule against the exchange's own stamps."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeburst.engine import FireOptions, Release, exit_code, fire
from tradeburst.exchange import NetworkModel
from tradeburst.limits import LimitClass, LimitProfile, Window
from tradeburst.testing import rehearsal_exchange

from _engine_support import admin_stats, placed, write_orders
from _support import ADMIN, KEY_A
from _window_model import Call, NotingBroker, window_breaches


@st.composite
def profiles(draw: st.DrawFn) -> LimitProfile:
    seconds = draw(st.sampled_from([0.03, 0.05, 0.1]))
    limits = {LimitClass.ORDER: Window(requests=draw(st.integers(2, 6)), seconds=seconds)}
    if draw(st.booleans()):
        limits[LimitClass.BATCH] = Window(requests=draw(st.integers(1, 3)), seconds=seconds)
    return LimitProfile(
        name="model", limits=limits, batch_counts_orders=draw(st.booleans()), connections=6
    )


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    profile=profiles(),
    orders=st.integers(1, 30),
    max_batch=st.integers(1, 5),
    concurrency=st.integers(1, 6),
    latency_ms=st.sampled_from([0.0, 5.0, 20.0]),
    jitter_ms=st.sampled_from([0.0, 10.0]),
)
def test_fire_keeps_every_window_and_sends_each_order_once(
    tmp_path_factory: object,
    profile: LimitProfile,
    orders: int,
    max_batch: int,
    concurrency: int,
    latency_ms: float,
    jitter_ms: float,
) -> None:
    """No window of the model ever holds more than the limit, the exchange refuses nothing
    for rate, and the exchange holds each order exactly once."""
    if profile.batch_counts_orders:
        max_batch = min(max_batch, profile.limits[LimitClass.ORDER].requests)
    folder = Path(tmp_path_factory.mktemp("windows"))  # type: ignore[attr-defined]
    asyncio.run(
        _fire_and_check(folder, profile, orders, max_batch, concurrency, latency_ms, jitter_ms)
    )


async def _fire_and_check(
    folder: Path,
    profile: LimitProfile,
    orders: int,
    max_batch: int,
    concurrency: int,
    latency_ms: float,
    jitter_ms: float,
) -> None:
    exchange = rehearsal_exchange(
        api_keys=(KEY_A,), admin_key=ADMIN, profile="none", liquidity=False, always_open=True,
        seed=1, network=NetworkModel(latency_ms=latency_ms, jitter_ms=jitter_ms),
    )  # fmt: skip
    exchange.profile = profile  # the exchange enforces, and declares, the drawn limits
    source = write_orders(folder / "orders.csv", orders)
    options = FireOptions(
        journal=folder / "run.sqlite", max_batch=max_batch, concurrency=concurrency,
        max_request_age_s=2.0, release=Release.ANSWER,
    )  # fmt: skip
    async with exchange, NotingBroker(exchange.url, KEY_A) as broker:
        async with asyncio.timeout(30):
            result = await fire(source, broker, options)
        async with aiohttp.ClientSession() as session:
            records = await placed(session, exchange.url, ADMIN)
            refused = (await admin_stats(session, exchange.url, ADMIN))["rate_limited"]
    assert exit_code(result) == 0, result.summary
    assert window_breaches(broker.calls, profile) == []
    assert refused == 0
    sent = Counter(name for call in broker.calls for name in call.orders)
    assert sorted(sent.values()) == [1] * orders
    assert Counter(r["user_def"] for r in records) == sent


def test_the_model_sees_a_crowded_window() -> None:
    """The oracle itself: three calls that may all arrive within 0.1 s break a limit of 2;
    the third sent after the first's answer and a whole window does not."""
    profile = LimitProfile(name="m", limits={LimitClass.ORDER: Window(requests=2, seconds=0.1)})
    crowded = [
        Call(LimitClass.ORDER, ("a",), 0.00, 0.02),
        Call(LimitClass.ORDER, ("b",), 0.01, 0.03),
        Call(LimitClass.ORDER, ("c",), 0.05, 0.06),
    ]
    assert len(window_breaches(crowded, profile)) == 1
    spaced = [*crowded[:2], Call(LimitClass.ORDER, ("c",), 0.13, 0.14)]
    assert window_breaches(spaced, profile) == []
    batch = LimitProfile(
        name="b", limits={LimitClass.ORDER: Window(requests=2, seconds=0.1)},
        batch_counts_orders=True,
    )  # fmt: skip
    assert window_breaches([Call(LimitClass.BATCH, ("a", "b", "c"), 0.0, 0.01)], batch)
