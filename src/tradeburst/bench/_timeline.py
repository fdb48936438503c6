"""`tradeburst bench timeline`: where a burst's time goes. The Fubon profile's job
(2000 orders by default) against an exchange in its own process, at a given latency and
jitter, several runs one after another: each run's efficiency and rate refusals, its
critical chain taken apart (`_timeline_chain`: the engine's waits after each window, the
exchange's delay in counting, the start and the last answer) and the waits and delays over
every slot it reused; the first run's window-by-window view besides. The calls are noted
by the real client itself (`StampNotingBroker`), so nothing in the engine is changed to
measure it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tradeburst.bench._engine import orders_file
from tradeburst.bench._servers import BENCH_KEY, exchange_server, serving
from tradeburst.bench._timeline_chain import (
    Call,
    critical_chain,
    least_trip_beaten_ms,
    link_figures,
    windows,
)
from tradeburst.brokers import OrderState, SimBroker
from tradeburst.engine import FireOptions, Release, fire
from tradeburst.limits import LimitClass
from tradeburst.model import Order

__all__ = ["StampNotingBroker", "run_timeline_bench"]

WINDOWS_EMPTY_S = 1.2
"""Between runs: the previous run's windows empty."""


class StampNotingBroker(SimBroker):
    """The real client to the exchange, noting each order call's send, answer and the
    stamp its answer carries, and the least (broker time - send) of the clock reads made
    before the first order call, which the engine's release rule starts from."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(url, key)
        self.calls: list[Call] = []
        self.reads_least_ns: int | None = None

    async def server_time_ns(self) -> int:
        sent_ns = round(time.monotonic() * 1e9)
        broker_ns = await super().server_time_ns()
        if not self.calls:
            trip_ns = broker_ns - sent_ns
            least = self.reads_least_ns
            self.reads_least_ns = trip_ns if least is None else min(least, trip_ns)
        return broker_ns

    async def place(self, order: Order) -> OrderState:
        sent_s = time.monotonic()
        answer = await super().place(order)
        self._note(LimitClass.ORDER, 1, sent_s, answer.counted_ns)
        return answer

    async def place_batch(self, orders: Sequence[Order]) -> list[OrderState]:
        sent_s = time.monotonic()
        answers = await super().place_batch(orders)
        self._note(
            LimitClass.BATCH, len(orders), sent_s, answers[0].counted_ns if answers else None
        )
        return answers

    def _note(
        self, limit_class: LimitClass, orders: int, sent_s: float, counted: int | None
    ) -> None:
        self.calls.append(Call(limit_class, orders, sent_s, time.monotonic(), counted))


async def _one_run(
    url: str, path: Path, folder: Path, release: Release, headroom_s: float | None
) -> dict[str, Any]:
    journal = folder / f"journal-{time.monotonic_ns()}.sqlite"
    terms = FireOptions(journal=journal, again=True, release=release)
    if headroom_s is not None:
        terms = dataclasses.replace(terms, headroom_s=headroom_s)
    broker = StampNotingBroker(url, BENCH_KEY)
    try:
        result = await fire(path, broker, terms)
        profile = broker.profile
    finally:
        await broker.aclose()
    timing = result.summary.timing
    chain = critical_chain(broker.calls, profile)
    figures: dict[str, Any] = {
        "efficiency": timing.efficiency,
        "elapsed_s": timing.elapsed_s,
        "lower_bound_s": timing.lower_bound_s,
        "rate_limit_rejections": result.summary.rate_limit_rejections,
        "critical_chain_ms": None if chain is None else dataclasses.asdict(chain),
        "least_trip_beaten_ms": least_trip_beaten_ms(broker.calls, profile, broker.reads_least_ns),
        **link_figures(broker.calls, profile),
    }
    window_s = max((w.seconds for w in profile.limits.values()), default=1.0)
    figures["windows"] = windows(broker.calls, window_s)
    return figures


async def run_timeline_bench(
    *,
    latency_ms: int,
    jitter_ms: int,
    runs: int,
    orders: int,
    release: Release = Release.BROKER_STAMP,
    headroom_s: float | None = None,
) -> dict[str, Any]:
    """`runs` runs of `orders` orders at one latency; the first run's windows kept."""
    network = ("--latency-ms", str(latency_ms), "--jitter-ms", str(jitter_ms))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        async with serving(exchange_server("fubon", *network)) as url:
            path = await orders_file(url, orders, folder, "timeline")
            results = []
            for _ in range(runs):
                await asyncio.sleep(WINDOWS_EMPTY_S)
                results.append(await _one_run(url, path, folder, release, headroom_s))
    first_windows = results[0].pop("windows")
    for result in results[1:]:
        result.pop("windows")
    return {
        "latency_ms": latency_ms,
        "jitter_ms": jitter_ms,
        "orders": orders,
        "release": release.value,
        "efficiency": [r["efficiency"] for r in results],
        "rate_limit_rejections": sum(r["rate_limit_rejections"] for r in results),
        "runs": results,
        "first_run_windows": first_windows,
    }
