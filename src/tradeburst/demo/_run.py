"""`tradeburst demo`: start the rehearsal exchange just early enough before 09:00 exchange
time for the batch to fit in the pre-open, send a sample batch through the burst engine,
wait for the opening auction, and gather what happened: acceptances, refusals, fills at
the open, timing."""

from __future__ import annotations

import asyncio
import math
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any

import aiohttp

from tradeburst.brokers import OrderState, SimBroker
from tradeburst.demo._sample import sample_orders, write_orders_csv
from tradeburst.engine import FireOptions, fire, plan
from tradeburst.exchange import PROFILES, Exchange, ExchangeConfig
from tradeburst.exchange._api import MAX_BATCH_ORDERS
from tradeburst.exchange._clock import on_day_of
from tradeburst.rules import OPEN
from tradeburst.summary import Summary

__all__ = ["DemoResult", "demo_start", "run_demo"]

PRE_OPEN_MARGIN_S = 2
OPEN_GRACE_S = 0.5


@dataclass(slots=True)
class DemoResult:
    summary: Summary
    orders: list[OrderState] = field(default_factory=list)
    opening: list[dict[str, Any]] = field(default_factory=list)


def demo_start(count: int) -> time_of_day:
    """Early enough before 09:00 that the whole batch lands in the pre-open."""
    schedule = plan(count, PROFILES["fubon"], MAX_BATCH_ORDERS)
    lead_s = math.ceil(schedule.last_send_s) + PRE_OPEN_MARGIN_S
    return (datetime.combine(date.today(), OPEN) - timedelta(seconds=lead_s)).time()


async def run_demo(count: int = 500, *, seed: int = 7) -> DemoResult:
    config = ExchangeConfig(profile="fubon", clock_start=demo_start(count), seed=seed)
    async with Exchange(config) as exchange:
        broker = SimBroker(exchange.url, exchange.api_keys[0])
        try:
            await broker.connect()
            instruments = list((await broker.instruments()).values())
            orders = sample_orders(instruments, count, seed)
            with tempfile.TemporaryDirectory() as folder:
                source = write_orders_csv(orders, Path(folder) / "sample.csv")
                options = FireOptions(journal=Path(folder) / "journal.sqlite")
                fired = await fire(source, broker, options)
            await exchange.clock.sleep_until(on_day_of(exchange.clock.now_ns(), OPEN))
            await asyncio.sleep(OPEN_GRACE_S)
            results = await broker.order_results()
        finally:
            await broker.aclose()
        summary = fired.summary
        summary.command = "demo"
        traded = sorted({o["symbol"] for o in orders})
        quotes = [await _quote(exchange, code) for code in traded]
        return DemoResult(summary=summary, orders=results, opening=quotes)


async def _quote(exchange: Exchange, code: str) -> dict[str, Any]:
    url = f"{exchange.url}/v1/quotes/{code}"
    headers = {"Authorization": f"Bearer {exchange.api_keys[0]}"}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as answer:
        quote: dict[str, Any] = (await answer.json())["data"]
        return quote
