"""How the engine recovers when the broker misbehaves, against the real rehearsal exchange:
a stop before the first send, answers it cannot read, a reconciliation query that fails, a
broker that refuses us outright, limits the client does not know of, manual pacing, a
broker that never places anything, a journal already used, and batch answers out of order.
A misbehaving broker is a real reverse proxy on 127.0.0.1 that rewrites chosen answers of
the real exchange. What counts is what the exchange ends up holding."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tradeburst.brokers import SimBroker
from tradeburst.engine import (
    DispatchOptions,
    FireOptions,
    FireResult,
    IntentState,
    JournalError,
    ManualPacing,
    exit_code,
    fire,
    resume,
)
from tradeburst.exchange import Exchange, FaultRates, NetworkModel

from _engine_support import (
    COUNTING_FAULTS,
    OPEN_CLOCK,
    QUICK_AGE_S,
    After,
    Before,
    Call,
    Reply,
    admin_stats,
    journal_of,
    order_actions,
    per_user_def,
    placed,
    rewriting_proxy,
    run_cli,
    write_orders,
)
from _support import ADMIN, KEY_A, StartExchange

GRACE_S = 0.1
"""A short grace before a lost answer is reconciled: the runs stay fast."""
RUN_TIMEOUT_S = 30.0
"""Bound on one run: a hang fails the test instead of the session."""
BATCH = "/v1/orders/batch"
SINGLE = "/v1/orders"
HTML_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.fixture
async def exchange(start_exchange: StartExchange) -> Exchange:
    """An exchange in continuous trading, no limits."""
    return await start_exchange(clock_start=OPEN_CLOCK, always_open=False)


async def fire_bounded(source: Path, url: str, options: FireOptions, **kwargs: Any) -> FireResult:
    async with asyncio.timeout(RUN_TIMEOUT_S), SimBroker(url, KEY_A) as broker:
        return await fire(source, broker, options, **kwargs)


def assert_one_order_per_intent(records: list[dict[str, Any]], result: FireResult) -> None:
    user_defs = [intent.user_def for intent in result.intents]
    assert per_user_def(records) == Counter(dict.fromkeys(user_defs, 1))


def json_body(payload: bytes) -> Any:
    return json.loads(payload)


def dumps(body: Any) -> bytes:
    return json.dumps(body).encode()


# -- rewrites of the exchange's answers ---------------------------------------------------


def html(_: bytes) -> bytes:
    return HTML_PAGE


def unknown_status(payload: bytes) -> bytes:
    """Status 77, a code tradeburst does not know, in the (first) result."""
    body = json_body(payload)
    result = body["data"][0] if isinstance(body["data"], list) else body["data"]
    result["status"] = 77
    return dumps(body)


def without_data(payload: bytes) -> bytes:
    body = json_body(payload)
    del body["data"]
    return dumps(body)


def reversed_data(payload: bytes) -> bytes:
    body = json_body(payload)
    body["data"].reverse()
    return dumps(body)


def rewrite(method: str, path: str, calls: set[int], change: Callable[[bytes], bytes]) -> After:
    """Rewrite the 200 answers to the `calls`-th requests of `method path` with `change`."""

    def after(call: Call, status: int, payload: bytes) -> Reply | None:
        if (call.method, call.path) == (method, path) and call.nth in calls and status == 200:
            return 200, change(payload)
        return None

    return after


# -- a stop before the first send ---------------------------------------------------------


async def test_a_stop_set_before_fire_sends_nothing(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A stop already set when fire is called: exit 130, nothing placed, every intent pending."""
    exchange = await start_exchange(
        clock_start=OPEN_CLOCK, always_open=False, faults=COUNTING_FAULTS
    )
    source = write_orders(tmp_path / "orders.csv", 50)
    stop = asyncio.Event()
    stop.set()
    result = await fire_bounded(
        source,
        exchange.url,
        FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite"),
        stop=stop,
    )
    assert (result.interrupted, exit_code(result)) == (True, 130)
    assert await order_actions(session, exchange.url, ADMIN) == 0
    assert await placed(session, exchange.url, ADMIN) == []
    _, intents = journal_of(tmp_path / "run.sqlite")
    assert {intent.state for intent in intents} == {IntentState.PENDING}


# -- answers that cannot be read ----------------------------------------------------------


@pytest.mark.parametrize("change", [html, unknown_status, without_data])
@pytest.mark.parametrize(("path", "max_batch"), [(BATCH, 10), (SINGLE, 1)], ids=["batch", "single"])
async def test_unreadable_answers_to_placement_are_reconciled_to_one_order_each(
    change: Callable[[bytes], bytes],
    path: str,
    max_batch: int,
    exchange: Exchange,
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    """Unreadable 200 answers to some placements: every order placed once, all accepted, exit 0."""
    source = write_orders(tmp_path / "orders.csv", 100)
    after = rewrite("POST", path, {2, 4, 5}, change)
    async with rewriting_proxy(exchange.url, after=after) as proxy:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S,
            journal=tmp_path / "run.sqlite",
            max_batch=max_batch,
            grace_s=GRACE_S,
        )
        result = await fire_bounded(source, proxy.url, options)
        assert proxy.rewritten == 3
    orders = result.summary.orders
    assert exit_code(result) == 0, result.summary
    assert (orders.accepted, orders.unknown, orders.not_sent, orders.resent) == (100, 0, 0, 0)
    assert_one_order_per_intent(await placed(session, exchange.url, ADMIN), result)
    _, intents = journal_of(tmp_path / "run.sqlite")
    assert {intent.state for intent in intents} == {IntentState.ACCEPTED}


# -- a reconciliation query that fails ----------------------------------------------------


async def test_failed_reconciliation_queries_are_retried_after_a_wait(
    exchange: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Unreadable answers to GET /v1/orders: the run ends, asking a few times, not in a spin."""
    source = write_orders(tmp_path / "orders.csv", 50)
    # The first GET /v1/orders picks the run id; the next three, reconciliations, fail.
    lose_batch = rewrite("POST", BATCH, {1}, html)
    fail_query = rewrite("GET", SINGLE, {2, 3, 4}, html)

    def after(call: Call, status: int, payload: bytes) -> Reply | None:
        return lose_batch(call, status, payload) or fail_query(call, status, payload)

    async with rewriting_proxy(exchange.url, after=after) as proxy:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S,
            journal=tmp_path / "run.sqlite",
            max_batch=10,
            grace_s=GRACE_S,
        )
        result = await fire_bounded(source, proxy.url, options)
        queries = proxy.stamps["GET", SINGLE]
    assert exit_code(result) == 0, result.summary
    assert result.summary.orders.accepted == 50
    # One for the run id, three that failed, one that settled: a little slack, no spin.
    assert 5 <= len(queries) <= 8, len(queries)
    gaps_s = [b - a for a, b in itertools.pairwise(queries[1:])]
    assert min(gaps_s[:3]) >= 0.75 * GRACE_S, gaps_s
    assert_one_order_per_intent(await placed(session, exchange.url, ADMIN), result)


# -- a broker that refuses us outright ----------------------------------------------------


def refuse_third_batch(call: Call) -> Reply | None:
    """A 400 for the third batch call, which never reaches the exchange."""
    if (call.method, call.path, call.nth) == ("POST", BATCH, 3):
        return 400, dumps({"is_success": False, "message": "invalid body: refused", "data": None})
    return None


async def test_a_400_stops_sending_settles_what_is_in_flight_and_exits_4(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A 400 on the 3rd batch: fatal, exit 4, in-flight batches settled, the rest not sent."""
    # 50 ms round trips: the batches sent with the third are still in flight at its 400.
    exchange = await start_exchange(
        clock_start=OPEN_CLOCK, always_open=False, network=NetworkModel(latency_ms=50)
    )
    source = write_orders(tmp_path / "orders.csv", 200)
    async with rewriting_proxy(exchange.url, before=refuse_third_batch) as proxy:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S,
            journal=tmp_path / "run.sqlite",
            max_batch=10,
            concurrency=4,
        )
        result = await fire_bounded(source, proxy.url, options)
        batches = proxy.calls["POST", BATCH]
    orders = result.summary.orders
    assert result.fatal is not None and "400" in result.fatal
    assert exit_code(result) == 4
    assert orders.not_sent > 0 and orders.unknown == 0
    assert batches < 20  # sending stopped
    _, intents = journal_of(tmp_path / "run.sqlite")
    assert {intent.state for intent in intents} <= {IntentState.ACCEPTED, IntentState.PENDING}
    accepted = {i.user_def: i.order_no for i in intents if i.state is IntentState.ACCEPTED}
    records = await placed(session, exchange.url, ADMIN)
    assert accepted == {record["user_def"]: record["order_no"] for record in records}
    assert len(accepted) == 10 * (batches - 1)  # every batch but the refused one settled


async def test_a_400_to_the_reconciliation_query_ends_the_run(
    exchange: Exchange, tmp_path: Path
) -> None:
    """A 400 to GET /v1/orders while answers are lost: the run ends, fatal, exit 4, no spin."""
    source = write_orders(tmp_path / "orders.csv", 50)
    lose_batch = rewrite("POST", BATCH, {1}, html)

    def refuse_reconciliation(call: Call) -> Reply | None:
        # The first GET /v1/orders picks the run id; every later one is refused.
        if (call.method, call.path) == ("GET", SINGLE) and call.nth >= 2:
            return 400, dumps({"is_success": False, "message": "refused", "data": None})
        return None

    async with rewriting_proxy(
        exchange.url, before=refuse_reconciliation, after=lose_batch
    ) as proxy:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S,
            journal=tmp_path / "run.sqlite",
            max_batch=10,
            grace_s=GRACE_S,
        )
        async with asyncio.timeout(30.0):  # catches a spin; done in a fraction of a second
            result = await fire_bounded(source, proxy.url, options)
        queries = proxy.calls["GET", SINGLE]
    assert result.fatal is not None and "400" in result.fatal
    assert exit_code(result) == 4
    assert queries <= 3, queries


async def test_resume_after_a_400_places_one_order_per_intent(
    exchange: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """After a run stopped by a 400, resume finishes it: every intent placed exactly once."""
    source = write_orders(tmp_path / "orders.csv", 200)
    journal = tmp_path / "run.sqlite"
    async with rewriting_proxy(exchange.url, before=refuse_third_batch) as proxy:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S, journal=journal, max_batch=10, concurrency=4
        )
        fired = await fire_bounded(source, proxy.url, options)
    assert exit_code(fired) == 4
    async with asyncio.timeout(RUN_TIMEOUT_S), SimBroker(exchange.url, KEY_A) as broker:
        resumed = await resume(
            journal, broker, FireOptions(max_request_age_s=QUICK_AGE_S, grace_s=GRACE_S)
        )
    assert exit_code(resumed) == 0, resumed.summary
    assert_one_order_per_intent(await placed(session, exchange.url, ADMIN), fired)


# -- limits the client does not know of ---------------------------------------------------


async def test_backoff_holds_when_the_client_profile_has_no_limits(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Profile none against Fubon limits: 1000 orders placed once, few rate-limit refusals."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 1000)
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", profile="none"
    )
    result = await fire_bounded(source, exchange.url, options)
    assert exit_code(result) == 0, result.summary
    assert_one_order_per_intent(await placed(session, exchange.url, ADMIN), result)
    # 1000 orders are 34 batch calls, at most 10 a second, so some windows are full. A client
    # that sent again at once would be refused thousands of times (10 connections, a refusal
    # answered in a millisecond, for the ~3 s the burst lasts). With the back-off (50 ms,
    # doubling to 1 s, held for every class, known to the profile or not) it is refused a
    # few times per window: about 30. Under 200 is generous and still far from a spin.
    refusals = (await admin_stats(session, exchange.url, ADMIN))["rate_limited"]
    assert 0 < refusals < 200, refusals


# -- manual pacing ------------------------------------------------------------------------


async def test_manual_pacing_sends_chunks_apart_by_the_delay(
    exchange: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Chunks of 5 single orders, 0.2 s apart: the exchange receives 5, 5, 5, 1 in groups."""
    source = write_orders(tmp_path / "orders.csv", 16)
    pacing = ManualPacing(chunk_size=5, delay_s=0.2)
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S,
        journal=tmp_path / "run.sqlite",
        profile="none",
        pacing=pacing,
    )
    result = await fire_bounded(source, exchange.url, options)
    assert exit_code(result) == 0, result.summary
    seq_of = {intent.user_def: intent.seq for intent in result.intents}
    received_s = {
        seq_of[record["user_def"]]: record["received_ns"] / 1e9
        for record in await placed(session, exchange.url, ADMIN)
    }
    groups = [[received_s[seq] for seq in range(start, min(start + 5, 16))]
              for start in range(0, 16, 5)]  # fmt: skip
    assert [len(group) for group in groups] == [5, 5, 5, 1]
    # The delay is a floor the pacing keeps, whatever the machine's load; how close to it
    # the chunks come is not a test's business.
    for before, after in itertools.pairwise(groups):
        assert min(after) - max(before) >= 0.15, (before, after)


# -- a broker that places nothing ---------------------------------------------------------


async def test_a_broker_that_always_fails_ends_the_run_with_nothing_placed(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Every order action refused with a 503: the run ends after the attempt limit, exit 4."""
    exchange = await start_exchange(
        clock_start=OPEN_CLOCK, always_open=False, faults=FaultRates(error=1.0)
    )
    # One batch of 5, so the run makes one request per attempt.
    source = write_orders(tmp_path / "orders.csv", 5)
    result = await fire_bounded(
        source,
        exchange.url,
        FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "r.sqlite"),
    )
    max_attempts = DispatchOptions(concurrency=1, max_batch=1).max_attempts
    assert exit_code(result) == 4
    assert result.summary.orders.not_sent == 5
    assert result.summary.timing.elapsed_s > 0  # ten attempts each: time passed
    assert await placed(session, exchange.url, ADMIN) == []
    assert {intent.attempts for intent in result.intents} == {max_attempts}
    _, intents = journal_of(tmp_path / "r.sqlite")
    assert {intent.state for intent in intents} == {IntentState.PENDING}


# -- a journal already used ---------------------------------------------------------------


@pytest.fixture
async def counting(start_exchange: StartExchange) -> Exchange:
    """An exchange in continuous trading that counts every order action it takes."""
    return await start_exchange(clock_start=OPEN_CLOCK, always_open=False, faults=COUNTING_FAULTS)


async def test_fire_into_a_used_journal_raises_and_sends_nothing(
    counting: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """fire with a journal that holds a run: JournalError, nothing sent, the first run kept."""
    journal = tmp_path / "run.sqlite"
    first = await fire_bounded(
        write_orders(tmp_path / "first.csv", 10),
        counting.url,
        FireOptions(max_request_age_s=QUICK_AGE_S, journal=journal),
    )
    actions = await order_actions(session, counting.url, ADMIN)
    with pytest.raises(JournalError, match="already holds run"):
        await fire_bounded(  # the same orders: `again`, so the journal's refusal is tested
            write_orders(tmp_path / "second.csv", 10),
            counting.url,
            FireOptions(max_request_age_s=QUICK_AGE_S, journal=journal, again=True),
        )
    assert await order_actions(session, counting.url, ADMIN) == actions
    run, intents = journal_of(journal)
    assert run.run_id == first.run_id
    assert [i.user_def for i in intents] == [i.user_def for i in first.intents]


async def test_the_fire_command_into_a_used_journal_exits_2(
    counting: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """`tradeburst fire --journal USED`: exit 2, the message names the journal, nothing sent."""
    journal = tmp_path / "run.sqlite"
    await fire_bounded(
        write_orders(tmp_path / "first.csv", 10),
        counting.url,
        FireOptions(max_request_age_s=QUICK_AGE_S, journal=journal),
    )
    actions = await order_actions(session, counting.url, ADMIN)
    source = write_orders(tmp_path / "second.csv", 10)
    run = await run_cli("fire", str(source), "--url", counting.url, "--api-key", KEY_A,
                        "--journal", str(journal), "--again", cwd=tmp_path)  # fmt: skip
    assert run.returncode == 2, run.output
    assert "already holds run" in " ".join(run.stderr.split())
    assert "Traceback" not in run.output
    assert await order_actions(session, counting.url, ADMIN) == actions


# -- batch answers out of order -----------------------------------------------------------


async def test_batch_answers_out_of_order_settle_each_intent_with_its_own_order(
    exchange: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Batch answers reversed: each intent's order_no is the one the exchange gave its order."""
    source = write_orders(tmp_path / "orders.csv", 50)
    after = rewrite("POST", BATCH, set(range(1, 100)), reversed_data)
    async with rewriting_proxy(exchange.url, after=after) as proxy:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=10
        )
        result = await fire_bounded(source, proxy.url, options)
        assert proxy.rewritten == 5
    assert exit_code(result) == 0, result.summary
    records = await placed(session, exchange.url, ADMIN)
    _, intents = journal_of(tmp_path / "run.sqlite")
    assert {i.user_def: i.order_no for i in intents} == {
        record["user_def"]: record["order_no"] for record in records
    }


def reversed_with_a_nameless_rate_refusal(payload: bytes) -> bytes:
    """Reversed, and the (new) first answer made a rate refusal that names no order."""
    body = json_body(payload)
    body["data"].reverse()
    first = body["data"][0]
    first.update(status=90, user_def=None, error_message="Login Error, 業務系統流量控管")
    return dumps(body)


async def test_answers_that_name_only_some_orders_never_place_one_twice(
    exchange: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A batch answered out of order, one answer naming no order: each order placed once."""
    source = write_orders(tmp_path / "orders.csv", 2)
    after = rewrite("POST", BATCH, {1}, reversed_with_a_nameless_rate_refusal)
    async with rewriting_proxy(exchange.url, after=after) as proxy:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", grace_s=GRACE_S
        )
        result = await fire_bounded(source, proxy.url, options)
        assert proxy.rewritten == 1
    assert exit_code(result) == 0, result.summary
    records = await placed(session, exchange.url, ADMIN)
    assert_one_order_per_intent(records, result)
    _, intents = journal_of(tmp_path / "run.sqlite")
    assert {i.user_def: i.order_no for i in intents} == {
        record["user_def"]: record["order_no"] for record in records
    }


# -- a broker that never answers ---------------------------------------------------------------


def bad_gateway(call: Call) -> Reply | None:
    """Every order placement answered 502 by the proxy: nothing reaches the exchange."""
    if call.method == "POST" and call.path in (BATCH, SINGLE):
        return 502, HTML_PAGE
    return None


async def test_a_broker_whose_answers_are_always_lost_ends_the_run(
    exchange: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Lost answers for orders the broker never has: sent again only up to the attempt limit."""
    source = write_orders(tmp_path / "orders.csv", 3)
    async with rewriting_proxy(exchange.url, before=bad_gateway) as proxy:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", grace_s=GRACE_S
        )
        result = await fire_bounded(source, proxy.url, options)
        sends = proxy.calls[("POST", BATCH)]
    max_attempts = DispatchOptions(concurrency=1, max_batch=1).max_attempts
    assert exit_code(result) == 4
    assert result.summary.orders.not_sent == 3
    assert sends == max_attempts
    assert await placed(session, exchange.url, ADMIN) == []


async def test_resume_gets_a_full_set_of_attempts_after_a_failed_run(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A run that used up its attempts does not leave resume with none: resume places all."""
    failing = await start_exchange(
        clock_start=OPEN_CLOCK, always_open=False, faults=FaultRates(error=1.0)
    )
    source = write_orders(tmp_path / "orders.csv", 3)
    journal = tmp_path / "run.sqlite"
    first = await fire_bounded(
        source, failing.url, FireOptions(max_request_age_s=QUICK_AGE_S, journal=journal)
    )
    assert first.summary.orders.not_sent == 3
    # The same account on a healthy exchange, one 503 on the way: resume still places all.
    healthy = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    async with (
        rewriting_proxy(healthy.url, before=busy_once("POST", BATCH)) as proxy,
        SimBroker(proxy.url, KEY_A) as broker,
        asyncio.timeout(RUN_TIMEOUT_S),
    ):
        result = await resume(
            journal, broker, FireOptions(max_request_age_s=QUICK_AGE_S, grace_s=GRACE_S)
        )
    assert exit_code(result) == 0, result.summary
    assert result.summary.orders.resent == 0
    assert_one_order_per_intent(await placed(session, healthy.url, ADMIN), result)


def busy_once(method: str, path: str) -> Before:
    """Answer the first `method path` with a 503 in the exchange's place: nothing placed."""

    def before(call: Call) -> Reply | None:
        if (call.method, call.path, call.nth) == (method, path, 1):
            return 503, dumps({"is_success": False, "message": "busy; nothing placed"})
        return None

    return before


async def test_resume_keeps_the_profile_and_pacing_the_run_began_with(
    exchange: Exchange, tmp_path: Path
) -> None:
    """A run fired with --profile and manual pacing is resumed under the same: single orders."""
    source = write_orders(tmp_path / "orders.csv", 3)
    journal = tmp_path / "run.sqlite"
    stop = asyncio.Event()
    stop.set()
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S,
        journal=journal,
        profile="fubon",
        pacing=ManualPacing(chunk_size=1, delay_s=0.05),
    )
    await fire_bounded(source, exchange.url, options, stop=stop)
    async with rewriting_proxy(exchange.url) as proxy:
        async with SimBroker(proxy.url, KEY_A) as broker, asyncio.timeout(RUN_TIMEOUT_S):
            result = await resume(
                journal, broker, FireOptions(max_request_age_s=QUICK_AGE_S, grace_s=GRACE_S)
            )
        assert (proxy.calls[("POST", SINGLE)], proxy.calls[("POST", BATCH)]) == (3, 0)
    assert exit_code(result) == 0
    assert result.profile.name == "fubon"
