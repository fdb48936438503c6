"""Order requests after a rush's opening as pre-built bytes on the pool's warm connections
(`brokers/_prebuilt_posts.py`), against the real rehearsal exchange: a burst's order
requests all go that way, each order placed once, on no connection beside the pool's;
under faults (refused before placing, placed with the answer lost, the connection reset)
each order is still placed once, a reset sent again once and a lost answer found by asking;
an answer past the answer timeout is an unknown found by asking, never sent again; a
refusal for rate is `RateLimited` with nothing placed, a 503 is `NotSent`, an order the
exchange refuses keeps its reason, and the answer carries the stamp its rate limit counted.
Nothing here asserts how fast."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tradeburst.brokers import NotSent, RateLimited, SimBroker
from tradeburst.brokers._opening import OpeningLane
from tradeburst.brokers._prebuilt_posts import CACHED_HEADS, PrebuiltPosts
from tradeburst.engine import FireOptions, IntentState, exit_code, fire
from tradeburst.exchange import FaultRates
from tradeburst.model import Order, OrderStatus, Side

from _engine_support import (
    QUICK_AGE_S,
    admin_stats,
    assert_one_order_per_intent,
    journal_of,
    placed,
    write_orders,
)
from _support import ADMIN, KEY_A, StartExchange, clock_at


class CountingBroker(SimBroker):
    """The real client, noting which way each POST went."""

    def __init__(self, url: str, key: str, **options: Any) -> None:
        super().__init__(url, key, **options)
        self.prebuilt: list[str] = []
        self.through_aiohttp: list[str] = []

    async def _answer_on(self, lane: OpeningLane, path: str) -> bytes:
        self.prebuilt.append(path)
        return await super()._answer_on(lane, path)

    async def _request(
        self, method: str, path: str, body: bytes | None = None, *, raw: bool = False
    ) -> Any:
        if method == "POST":
            self.through_aiohttp.append(path)
        return await super()._request(method, path, body, raw=raw)


def buy(user_def: str, price: str = "40.60") -> Order:
    return Order(
        symbol="2891",
        side=Side.BUY,
        quantity=1000,
        price_twd=Decimal(price),
        user_def=user_def,
    )


async def test_a_burst_goes_as_prebuilt_bytes_each_order_once(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Batch calls and single orders, all on the warm connections the pool holds."""
    exchange = await start_exchange(profile="fubon")
    source = write_orders(tmp_path / "orders.csv", 400)
    options = FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite")
    async with CountingBroker(exchange.url, KEY_A) as broker:
        result = await fire(source, broker, options)

    assert exit_code(result) == 0
    assert result.summary.orders.accepted == 400
    assert result.dispatch is not None
    assert broker.through_aiohttp == []
    assert len(broker.prebuilt) == len(result.dispatch.sends)
    assert set(broker.prebuilt) == {"/v1/orders", "/v1/orders/batch"}
    records = await placed(session, exchange.url, ADMIN)
    assert_one_order_per_intent(records, [i.user_def for i in result.intents])
    stats = await admin_stats(session, exchange.url, ADMIN)
    assert stats["connections_refused"] == 0  # borrowed from the pool, never opened beside it
    assert stats["rate_limited"] == 0
    _, intents = journal_of(tmp_path / "run.sqlite")
    assert all(i.state is IntentState.ACCEPTED for i in intents)


async def test_under_faults_each_order_is_placed_once_and_only_resets_are_resent(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    exchange = await start_exchange(
        faults=FaultRates(error=0.05, ambiguous=0.05, reset=0.05, stall_ms=100.0), seed=7
    )
    source = write_orders(tmp_path / "orders.csv", 300)
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=1
    )
    async with CountingBroker(exchange.url, KEY_A) as broker:
        result = await fire(source, broker, options)

    faults = (await admin_stats(session, exchange.url, ADMIN))["faults"]
    assert faults["error"] > 0 and faults["ambiguous"] > 0 and faults["reset"] > 0
    assert len(broker.prebuilt) > len(broker.through_aiohttp)
    orders = result.summary.orders
    assert (orders.accepted, orders.unknown, orders.not_sent) == (300, 0, 0)
    assert orders.resent == faults["reset"]  # a lost answer is found, never sent again
    records = await placed(session, exchange.url, ADMIN)
    assert_one_order_per_intent(records, [i.user_def for i in result.intents])
    _, intents = journal_of(tmp_path / "run.sqlite")
    assert all(i.state is IntentState.ACCEPTED for i in intents)
    assert sum(i.by_query for i in intents) >= faults["ambiguous"]


async def test_an_answer_past_the_timeout_is_found_by_asking_never_resent(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Every answer is held far past the broker's answer timeout (the exchange places the
    order first): each is lost, then found by its `user_def`."""
    exchange = await start_exchange(faults=FaultRates(stall=1.0, stall_ms=60_000.0))
    source = write_orders(tmp_path / "orders.csv", 12)
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=1
    )
    async with CountingBroker(exchange.url, KEY_A, answer_timeout_s=1.0) as broker:
        result = await fire(source, broker, options)
        found = await broker.order_results()  # the pool still serves after the timeouts

    assert broker.prebuilt  # the first requests went pre-built and timed out there
    orders = result.summary.orders
    assert (orders.accepted, orders.unknown, orders.resent) == (12, 0, 0)
    assert all(i.by_query for i in result.intents)
    assert len(found) == 12
    records = await placed(session, exchange.url, ADMIN)
    assert_one_order_per_intent(records, [i.user_def for i in result.intents])


async def test_refusals_keep_their_meaning_on_prebuilt_posts(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """On a manual clock, so the 51st order of the second is refused for rate however slow
    the machine: that one is `RateLimited` and not placed; an order priced outside the
    day's limits is answered as refused with its reason; an accepted answer carries the
    stamp the rate limit counted it by."""
    exchange = await start_exchange(profile="fubon", clock=clock_at(10, 0))
    async with CountingBroker(exchange.url, KEY_A) as broker:
        await broker.warm(2)
        refused = await broker.place(buy("OUT0", price="99.00"))
        accepted = [await broker.place(buy(f"IN{i:03d}")) for i in range(49)]
        with pytest.raises(RateLimited):
            await broker.place(buy("OVER"))

    assert broker.through_aiohttp == []
    assert len(broker.prebuilt) == 51
    assert refused.status is OrderStatus.FAILED
    assert refused.message is not None and "outside today's limits" in refused.message
    assert all(state.accepted and state.counted_ns is not None for state in accepted)
    records = await placed(session, exchange.url, ADMIN)
    assert sorted(r["user_def"] for r in records) == [f"IN{i:03d}" for i in range(49)]


async def test_a_503_is_not_sent_and_places_nothing(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    exchange = await start_exchange(faults=FaultRates(error=1.0))
    async with CountingBroker(exchange.url, KEY_A) as broker:
        await broker.warm(1)
        with pytest.raises(NotSent):
            await broker.place(buy("E0001"))
    assert broker.prebuilt == ["/v1/orders"]
    assert await placed(session, exchange.url, ADMIN) == []


async def test_more_orders_at_once_than_connections_wait_for_the_pool(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """30 orders at once over a pool of 10: those that find no idle connection go through
    aiohttp, which waits for one; none is opened beyond the broker's limit."""
    exchange = await start_exchange(profile="fubon", clock=clock_at(10, 0))
    async with CountingBroker(exchange.url, KEY_A) as broker:
        await broker.warm(broker.capabilities.connections)
        states = await asyncio.gather(*(broker.place(buy(f"C{i:04d}")) for i in range(30)))

    assert all(state.accepted for state in states)
    assert broker.prebuilt and len(broker.prebuilt) + len(broker.through_aiohttp) == 30
    stats = await admin_stats(session, exchange.url, ADMIN)
    assert stats["connections_refused"] == 0
    records = await placed(session, exchange.url, ADMIN)
    assert sorted(r["user_def"] for r in records) == [f"C{i:04d}" for i in range(30)]


def test_the_heads_kept_are_bounded_whatever_the_paths() -> None:
    """A cancel's path names its order: a long run's cancels must not grow the cache."""
    posts = PrebuiltPosts("http://127.0.0.1:1", {"Authorization": "Bearer k"})
    first = posts.request("/v1/orders", b"{}")
    for n in range(1_000):
        request = posts.request(f"/v1/orders/{n:06d}/cancel", b"{}")
        assert request.startswith(f"POST /v1/orders/{n:06d}/cancel HTTP/1.1\r\n".encode())
    assert len(posts._heads) == CACHED_HEADS
    assert posts.request("/v1/orders", b"{}") == first
