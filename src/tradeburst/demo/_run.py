"""`tradeburst demo`: the main job, rehearsed end to end. Start the rehearsal exchange (in
its own process, as a broker would be) ten seconds before 09:00 exchange time, prepare a
sample batch (checked, journaled, request bodies built, connections warm, clock offset
estimated), rush it at 09:00:00 under the Fubon limits, then gather what happened: the
run's report, the orders' outcomes in the first moments of continuous trading, and the
opening prices."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import time as time_of_day
from pathlib import Path
from typing import Any

import aiohttp

from tradeburst.brokers import OrderState, SimBroker, exchange_receipts
from tradeburst.demo._sample import sample_orders, write_orders_csv
from tradeburst.engine import FireOptions, rush
from tradeburst.exchange import exchange_child, serving
from tradeburst.rules import OPEN
from tradeburst.summary import Summary

__all__ = ["DEMO_START", "DemoResult", "run_demo"]

DEMO_START = time_of_day(8, 59, 50)
"""Exchange time at start: ten seconds to get ready for the open."""
SETTLE_S = 0.5
"""After the last answer, how long trading goes on before the outcomes are read."""


@dataclass(slots=True)
class DemoResult:
    summary: Summary
    journal: Path
    orders: list[OrderState] = field(default_factory=list)
    opening: list[dict[str, Any]] = field(default_factory=list)


async def run_demo(
    folder: Path,
    count: int = 500,
    *,
    seed: int = 7,
    start: time_of_day = DEMO_START,
    at: time_of_day = OPEN,
    notify: Any = None,
) -> DemoResult:
    """Rush `count` sample orders at `at` (exchange time) on an exchange started at
    `start`; the orders file and the journal are kept in `folder`."""
    key, admin_key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    command = exchange_child(
        "--profile", "fubon", "--clock", start.isoformat(), "--seed", str(seed),
        "--api-key", key, "--admin-key", admin_key,
    )  # fmt: skip
    async with serving(command, own_core=True) as url:
        broker = SimBroker(url, key)
        try:
            await broker.connect()
            instruments = list((await broker.instruments()).values())
            orders = sample_orders(instruments, count, seed)
            source = write_orders_csv(orders, folder / "sample.csv")
            journal = folder / "journal.sqlite"
            journal.unlink(missing_ok=True)
            rushed = await rush(
                source,
                broker,
                FireOptions(journal=journal),
                at,
                receipts=exchange_receipts(url, admin_key),
                notify=notify,
            )
            await asyncio.sleep(SETTLE_S)
            results = await broker.order_results()
        finally:
            await broker.aclose()
        summary = rushed.summary
        summary.command = "demo"
        traded = sorted({o["symbol"] for o in orders})
        quotes = [await _quote(url, key, code) for code in traded]
        return DemoResult(summary=summary, journal=journal, orders=results, opening=quotes)


async def _quote(url: str, key: str, code: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}/v1/quotes/{code}", headers=headers) as answer,
    ):
        quote: dict[str, Any] = (await answer.json())["data"]
        return quote
