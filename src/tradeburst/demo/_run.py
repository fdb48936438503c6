"""`tradeburst demo`: start the rehearsal exchange just early enough before 09:00 exchange
time for the batch to fit in the pre-open, send a sample batch through the plain client,
wait for the opening auction, and gather what happened: acceptances, refusals, fills at
the open, timing."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from typing import Any

from tradeburst.demo._client import BatchAnswer, PlainClient
from tradeburst.demo._sample import sample_orders
from tradeburst.exchange import PROFILES, Exchange, ExchangeConfig
from tradeburst.exchange._api import MAX_BATCH_ORDERS
from tradeburst.exchange._clock import on_day_of
from tradeburst.exchange._profiles import LimitClass
from tradeburst.rules import OPEN
from tradeburst.summary import (
    Classification,
    FireError,
    Latency,
    LatencyThresholds,
    OrderCounts,
    Summary,
    Timing,
    percentile,
)

__all__ = ["DemoResult", "run_demo"]

PRE_OPEN_MARGIN_S = 2
OPEN_GRACE_S = 0.5


@dataclass(slots=True)
class DemoResult:
    summary: Summary
    orders: list[dict[str, Any]] = field(default_factory=list)
    opening: list[dict[str, Any]] = field(default_factory=list)


def demo_start(count: int) -> time_of_day:
    """Early enough before 09:00 that the whole batch lands in the pre-open."""
    batches_per_s = PROFILES["fubon"].limits[LimitClass.BATCH][0]
    lead_s = math.ceil(count / (batches_per_s * MAX_BATCH_ORDERS)) + PRE_OPEN_MARGIN_S
    return (datetime.combine(date.today(), OPEN) - timedelta(seconds=lead_s)).time()


async def run_demo(count: int = 500, *, seed: int = 7) -> DemoResult:
    config = ExchangeConfig(profile="fubon", clock_start=demo_start(count), seed=seed)
    batches_per_s = PROFILES["fubon"].limits[LimitClass.BATCH][0]
    async with (
        Exchange(config) as exchange,
        PlainClient(exchange.url, exchange.api_keys[0]) as client,
    ):
        symbols = (await client.get("/v1/symbols"))["data"]
        orders = sample_orders(symbols, count, seed)
        started = time.monotonic_ns()
        answers = await client.send_batches(orders, batches_per_s)
        elapsed_s = (time.monotonic_ns() - started) / 1e9
        await exchange.clock.sleep_until(on_day_of(exchange.clock.now_ns(), OPEN))
        await asyncio.sleep(OPEN_GRACE_S)
        results = (await client.get("/v1/orders"))["data"]
        admin = {"Authorization": f"Bearer {exchange.admin_key}"}
        stats = await client.get("/v1/admin/stats", admin)
        traded = sorted({o["symbol"] for o in orders})
        quotes = [(await client.get(f"/v1/quotes/{code}"))["data"] for code in traded]
        summary = _summary(exchange, answers, count, elapsed_s, stats["rate_limited"])
        return DemoResult(summary=summary, orders=results, opening=quotes)


def _summary(
    exchange: Exchange, answers: list[BatchAnswer], total: int, elapsed_s: float, rate_limited: int
) -> Summary:
    accepted = sum(1 for a in answers for r in a.results if r["status"] != 90)
    rejected = sum(1 for a in answers for r in a.results if r["status"] == 90)
    latencies_ms = [
        (a.received_ns - a.sent_ns) / 1e6 for a in answers for _ in range(max(1, len(a.results)))
    ]
    fire_errors_us = [(a.sent_ns - a.planned_ns) / 1e3 for a in answers]
    profile = exchange.profile
    per_window = profile.limits[LimitClass.BATCH][0] * MAX_BATCH_ORDERS
    lower_bound_s = (math.ceil(total / per_window) - 1) * 1.0 + min(latencies_ms, default=0.0) / 1e3
    return Summary(
        command="demo",
        broker="sim",
        account=exchange.accounts[0].account,
        orders=OrderCounts(
            total=total,
            accepted=accepted,
            rejected=rejected,
            unknown=total - accepted - rejected,
        ),
        rate_limit_rejections=rate_limited,
        timing=Timing(
            elapsed_s=round(elapsed_s, 6),
            lower_bound_s=round(lower_bound_s, 6),
            efficiency=round(lower_bound_s / elapsed_s, 4) if elapsed_s else 0.0,
            fire_error_us=FireError(
                p50=percentile(fire_errors_us, 0.5),
                p99=percentile(fire_errors_us, 0.99),
                max=max(fire_errors_us, default=0.0),
            ),
        ),
        latency_ms=Latency.of(latencies_ms),
        classification=Classification.of(latencies_ms, LatencyThresholds()),
    )
