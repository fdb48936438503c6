"""Exactly once when the network delivers late: an order whose answer was lost is never
sent again while its first request can still reach the broker, even when the client dies
in between; and the late-duplicate watch catches what lands after the request age."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import aiohttp
import pytest

from tradeburst.brokers import SimBroker
from tradeburst.engine import FireOptions, IntentState, exit_code, fire
from tradeburst.exchange import FaultRates

from _engine_support import (
    OPEN_CLOCK,
    Background,
    admin_stats,
    assert_one_order_per_intent,
    journal_of,
    per_user_def,
    placed,
    run_cli,
    wait_for_placed,
    write_orders,
)
from _holding_proxy import holding_proxy
from _support import ADMIN, KEY_A, StartExchange

HELD_CONNECTIONS = 3
"""Connections the proxy holds, with one request (a batch, or a single order) in each."""
WATCHED_ORDERS = 12
LATE_SEED = 5
"""A seed whose late draws hold some first sends and none of their resends (a resend held
late too would land after the watch, which the rule cannot help)."""


async def test_a_network_holding_requests_past_the_answer_timeout_places_none_twice(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A proxy holds 3 of 10 connections for 40 s mid-burst, then delivers: fire with its
    defaults places 2000 orders once each, finding the late ones instead of resending."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 2000)
    async with holding_proxy(
        exchange.url, hold_after_requests=23, held_connections=HELD_CONNECTIONS, hold_s=40.0
    ) as proxy:
        async with SimBroker(proxy.url, KEY_A) as broker:
            result = await fire(source, broker, FireOptions(journal=tmp_path / "run.sqlite"))
        assert proxy.delivered.is_set()
        records = await placed(session, exchange.url, ADMIN)
    orders = result.summary.orders
    assert exit_code(result) == 0, result.summary
    assert (orders.accepted, orders.resent, orders.unknown) == (2000, 0, 0)
    assert orders.found_placed == proxy.held_orders > 0  # answers lost, orders found
    assert_one_order_per_intent(records, [intent.user_def for intent in result.intents])


async def test_resume_at_once_after_a_kill_waits_for_requests_still_held(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """fire killed with -9 one second into a 10 s hold, resume at once: the held orders
    land while resume waits on them, are found, and nothing is placed twice."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 2000)
    journal = tmp_path / "run.sqlite"
    age = ("--max-request-age", "15")
    async with holding_proxy(
        exchange.url, hold_after_requests=23, held_connections=HELD_CONNECTIONS, hold_s=10.0
    ) as proxy:
        client = Background(tmp_path, "fire")
        try:
            await client.start(
                "fire", str(source), "--url", proxy.url, "--api-key", KEY_A,
                "--journal", str(journal), *age, cwd=tmp_path,
            )  # fmt: skip
            await asyncio.wait_for(proxy.holding.wait(), 30.0)
            await wait_for_placed(session, exchange.url, ADMIN, 700, client)
            await asyncio.sleep(1.0)
            client.signal(signal.SIGKILL)
            killed = await client.wait()
        finally:
            client.stop()
        assert killed.returncode == -signal.SIGKILL
        _, intents = journal_of(journal)
        in_flight = [i for i in intents if i.state is IntentState.IN_FLIGHT]
        assert len(in_flight) >= HELD_CONNECTIONS  # the sends are journaled
        assert all(i.sent_ns for i in in_flight)
        assert not proxy.delivered.is_set()  # resume starts while they are still held

        resumed = await run_cli(
            "resume", "--journal", str(journal), "--api-key", KEY_A, "--url", exchange.url,
            *age, "--json", str(tmp_path / "resumed.json"), cwd=tmp_path,
        )  # fmt: skip
        assert proxy.delivered.is_set()
    assert resumed.returncode == 0, resumed.output
    records = await placed(session, exchange.url, ADMIN)
    assert_one_order_per_intent(records, [intent.user_def for intent in intents])
    summary = json.loads((tmp_path / "resumed.json").read_text())
    assert summary["orders"]["found_placed"] >= proxy.held_orders > 0
    assert summary["orders"]["accepted"] == 2000


@pytest.mark.parametrize("profile", ["fubon", "shioaji", "none"])
@pytest.mark.parametrize("max_batch", [1, None], ids=["single", "batch"])
async def test_late_requests_are_found_not_resent_with_the_default_request_age(
    start_exchange: StartExchange,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    profile: str,
    max_batch: int | None,
) -> None:
    """An exchange holding a fifth of the requests 1.5 s past a 0.5 s answer timeout: with
    the default request age every late order is found where it landed, none is resent, and
    none is refused for rate as it lands (a lost request keeps its slots until it is found)."""
    exchange = await start_exchange(
        profile=profile,
        clock_start=OPEN_CLOCK,
        always_open=False,
        faults=FaultRates(late=0.2, late_ms=1500.0),
        seed=3,
    )
    source = write_orders(tmp_path / "orders.csv", 200)
    options = FireOptions(journal=tmp_path / "run.sqlite", max_batch=max_batch, grace_s=0.5)
    async with SimBroker(exchange.url, KEY_A, answer_timeout_s=0.5) as broker:
        result = await fire(source, broker, options)
    stats = await admin_stats(session, exchange.url, ADMIN)
    orders = result.summary.orders
    assert stats["faults"]["late"] > 0  # the fault did hold requests
    assert exit_code(result) == 0, result.summary
    assert (orders.accepted, orders.resent, result.summary.late_duplicates) == (200, 0, [])
    assert stats["rate_limited"] == 0
    assert orders.found_placed > 0
    records = await placed(session, exchange.url, ADMIN)
    assert_one_order_per_intent(records, [intent.user_def for intent in result.intents])


async def test_below_the_hold_the_watch_cancels_and_reports_every_late_duplicate(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A request age (2 s) set below the exchange's hold (3 s) breaks the rule on purpose:
    each late original lands beside its resend, and the watch cancels every one, reports
    it with what it had filled, and the run exits 3."""
    exchange = await start_exchange(
        clock_start=OPEN_CLOCK,
        always_open=False,
        faults=FaultRates(late=0.25, late_ms=3000.0),
        seed=LATE_SEED,
    )
    source = write_orders(tmp_path / "orders.csv", WATCHED_ORDERS)
    options = FireOptions(
        journal=tmp_path / "run.sqlite",
        max_batch=1,
        concurrency=1,
        grace_s=0.5,
        max_request_age_s=2.0,
    )
    async with SimBroker(exchange.url, KEY_A, answer_timeout_s=0.5) as broker:
        result = await fire(source, broker, options)
    records = await placed(session, exchange.url, ADMIN)
    twice = {u for u, count in per_user_def(records).items() if count > 1}
    late = result.summary.late_duplicates
    assert twice and exit_code(result) == 3
    assert {d.user_def for d in late} == twice
    assert len(late) == len(records) - WATCHED_ORDERS  # each extra order reported once
    by_order_no = {r["order_no"]: r for r in records}
    for duplicate in late:
        assert duplicate.cancelled and duplicate.note == "cancelled"
        assert by_order_no[duplicate.order_no]["status"] in (30, 40)
        assert by_order_no[duplicate.kept_order_no]["status"] not in (30, 40)
        assert duplicate.filled_qty == 0  # nothing trades without liquidity
