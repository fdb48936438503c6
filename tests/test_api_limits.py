"""Broker limits over real HTTP: per-account sliding windows of order actions, batch calls
and queries (Fubon), the Shioaji window with its suspension, no limit at all, and the
per-account connection limit. Time moves on a manual clock, so no test waits a second."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tradeburst.exchange import CONNECTION_LIMIT_MESSAGE, RATE_LIMIT_MESSAGE, Exchange, ManualClock

from _support import ADMIN, KEY_A, KEY_B, Api, StartExchange, admin_orders, clock_at, later, order

RATE_LIMIT_MARK = "業務系統流量控管"
CONNECTION_LIMIT_MARK = "超過本應用程式連線限制"


@pytest.fixture
def clock() -> ManualClock:
    return clock_at(10, 0)


async def _exchange(start_exchange: StartExchange, clock: ManualClock, profile: str) -> Exchange:
    return await start_exchange(profile=profile, clock=clock)


@pytest.fixture
async def fubon(start_exchange: StartExchange, clock: ManualClock) -> Exchange:
    return await _exchange(start_exchange, clock, "fubon")


@pytest.fixture
async def shioaji(start_exchange: StartExchange, clock: ManualClock) -> Exchange:
    return await _exchange(start_exchange, clock, "shioaji")


def _as(session: aiohttp.ClientSession, exchange: Exchange, key: str = KEY_A) -> Api:
    return Api(session, exchange.url, key)


async def _orders(api: Api, count: int) -> list[int]:
    """HTTP statuses of `count` resting orders placed one after another."""
    statuses = []
    for _ in range(count):
        status, _ = await api.post("/v1/orders", order(price="40.00"))
        statuses.append(status)
    return statuses


async def _batches(api: Api, count: int, size: int = 1) -> list[int]:
    statuses = []
    for _ in range(count):
        body = {"orders": [order(price="40.00") for _ in range(size)]}
        status, _ = await api.post("/v1/orders/batch", body)
        statuses.append(status)
    return statuses


async def _stats(session: aiohttp.ClientSession, exchange: Exchange) -> dict[str, Any]:
    status, body = await _as(session, exchange, ADMIN).get("/v1/admin/stats")
    assert status == 200
    stats: dict[str, Any] = body
    return stats


# -- Fubon --------------------------------------------------------------------------------


async def test_fubon_refuses_the_51st_order_action_in_a_second(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """50 orders in one second pass; the 51st is 429 with the broker's flow-control text."""
    api = _as(session, fubon)
    assert await _orders(api, 50) == [200] * 50
    status, body = await api.post("/v1/orders", order(price="40.00"))
    assert status == 429
    assert body["is_success"] is False
    assert RATE_LIMIT_MARK in body["message"]


async def test_a_rate_limited_order_is_not_placed(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """After the refusal the exchange holds exactly the 50 admitted orders."""
    await _orders(_as(session, fubon), 51)
    assert len(await admin_orders(_as(session, fubon, ADMIN))) == 50


async def test_cancels_count_as_order_actions(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """With 50 orders in the second, a cancel is refused too."""
    api = _as(session, fubon)
    await _orders(api, 50)
    first = (await admin_orders(_as(session, fubon, ADMIN)))[0]["order_no"]
    status, body = await api.post(f"/v1/orders/{first}/cancel")
    assert status == 429
    assert RATE_LIMIT_MARK in body["message"]


async def test_fubon_limits_each_account_on_its_own(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """Account A at its limit does not stop account B's orders."""
    await _orders(_as(session, fubon), 51)
    status, _ = await _as(session, fubon, KEY_B).post("/v1/orders", order(price="40.00"))
    assert status == 200


async def test_fubon_refuses_the_11th_batch_call_in_a_second(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """10 batch calls in one second pass; the 11th is 429."""
    api = _as(session, fubon)
    assert await _batches(api, 10) == [200] * 10
    status, body = await api.post("/v1/orders/batch", {"orders": [order(price="40.00")]})
    assert status == 429
    assert RATE_LIMIT_MARK in body["message"]


async def test_fubon_batches_do_not_count_toward_the_order_limit(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """10 batches of 30 orders leave all 50 single-order actions of the second free."""
    api = _as(session, fubon)
    assert await _batches(api, 10, size=30) == [200] * 10
    assert await _orders(api, 50) == [200] * 50


async def test_fubon_refuses_the_6th_query_in_a_second(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """5 order queries in one second pass; the 6th is 429."""
    api = _as(session, fubon)
    for _ in range(5):
        assert (await api.get("/v1/orders"))[0] == 200
    status, body = await api.get("/v1/orders")
    assert status == 429
    assert RATE_LIMIT_MARK in body["message"]


async def test_fills_queries_share_the_query_limit(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """After 5 order queries, a fills query in the same second is 429."""
    api = _as(session, fubon)
    for _ in range(5):
        await api.get("/v1/orders")
    assert (await api.get("/v1/fills"))[0] == 429


async def test_queries_do_not_use_up_order_actions(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """A refused query in a second does not stop orders in it."""
    api = _as(session, fubon)
    for _ in range(6):
        await api.get("/v1/orders")
    assert (await api.post("/v1/orders", order(price="40.00")))[0] == 200


async def test_refusals_are_counted_in_admin_stats(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """Every 429 from a rate limit shows in the admin stats' rate_limited."""
    api = _as(session, fubon)
    await _orders(api, 53)
    for _ in range(7):
        await api.get("/v1/orders")
    assert (await _stats(session, fubon))["rate_limited"] == 3 + 2


async def test_the_window_passes_and_orders_go_through_again(
    fubon: Exchange, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """One second after a full window, 50 more orders are admitted."""
    api = _as(session, fubon)
    await _orders(api, 51)
    later(clock, 1.0)
    assert await _orders(api, 50) == [200] * 50


async def test_the_window_slides_rather_than_resets(
    fubon: Exchange, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """25 orders at t and 25 at t+0.5 s: at t+1 s only the first 25 have left the window."""
    api = _as(session, fubon)
    await _orders(api, 25)
    later(clock, 0.5)
    await _orders(api, 25)
    later(clock, 0.5)
    assert await _orders(api, 26) == [200] * 25 + [429]


async def test_a_refused_request_does_not_count_toward_the_window(
    fubon: Exchange, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """Refusals at t+0.5 s do not take places in the window that opens at t+1 s."""
    api = _as(session, fubon)
    await _orders(api, 50)
    later(clock, 0.5)
    assert await _orders(api, 10) == [429] * 10
    later(clock, 0.5)
    assert await _orders(api, 51) == [200] * 50 + [429]


async def test_the_query_window_passes_too(
    fubon: Exchange, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """A second after the 6th query was refused, queries pass again."""
    api = _as(session, fubon)
    for _ in range(6):
        await api.get("/v1/orders")
    later(clock, 1.0)
    assert (await api.get("/v1/orders"))[0] == 200


async def test_the_fubon_message_is_the_exported_one(
    fubon: Exchange, session: aiohttp.ClientSession
) -> None:
    """The 429 message is RATE_LIMIT_MESSAGE, which clients match on."""
    api = _as(session, fubon)
    for _ in range(5):
        await api.get("/v1/orders")
    _, body = await api.get("/v1/orders")
    assert body["message"] == RATE_LIMIT_MESSAGE


# -- Shioaji ------------------------------------------------------------------------------


async def _breach_shioaji(api: Api) -> None:
    """250 order actions (as 10 batches of 25), then the 251st order is refused."""
    assert await _batches(api, 10, size=25) == [200] * 10
    status, body = await api.post("/v1/orders", order(price="40.00"))
    assert status == 429
    assert RATE_LIMIT_MARK in body["message"]


async def test_shioaji_refuses_the_251st_order_action_in_10_seconds(
    shioaji: Exchange, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """250 orders spread over 9 seconds pass; the 251st inside the 10 s window is 429."""
    api = _as(session, shioaji)
    for _ in range(9):
        assert await _batches(api, 1, size=25) == [200]
        later(clock, 1.0)
    assert await _batches(api, 1, size=25) == [200]
    assert (await api.post("/v1/orders", order(price="40.00")))[0] == 429


async def test_shioaji_suspends_after_a_breach_beyond_the_window(
    shioaji: Exchange, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """11 s after a breach the window is empty, yet the suspended account is still refused."""
    api = _as(session, shioaji)
    await _breach_shioaji(api)
    later(clock, 11.0)
    status, body = await api.post("/v1/orders", order(price="40.00"))
    assert status == 429
    assert RATE_LIMIT_MARK in body["message"]


async def test_shioaji_suspension_ends_after_60_seconds(
    shioaji: Exchange, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """60 s after the breach the account places orders again."""
    api = _as(session, shioaji)
    await _breach_shioaji(api)
    later(clock, 59.0)
    assert (await api.post("/v1/orders", order(price="40.00")))[0] == 429
    later(clock, 1.0)
    assert (await api.post("/v1/orders", order(price="40.00")))[0] == 200


async def test_shioaji_suspension_is_per_account(
    shioaji: Exchange, session: aiohttp.ClientSession
) -> None:
    """Account A's suspension does not stop account B."""
    await _breach_shioaji(_as(session, shioaji))
    assert (await _as(session, shioaji, KEY_B).post("/v1/orders", order(price="40.00")))[0] == 200


async def test_shioaji_counts_each_order_of_a_batch(
    shioaji: Exchange, session: aiohttp.ClientSession
) -> None:
    """A batch that would take the account past 250 orders is refused whole."""
    api = _as(session, shioaji)
    assert await _batches(api, 8, size=30) == [200] * 8
    assert await _batches(api, 1, size=11) == [429]
    assert len(await admin_orders(_as(session, shioaji, ADMIN))) == 240


# -- none ---------------------------------------------------------------------------------


async def test_profile_none_has_no_order_limit(
    start_exchange: StartExchange, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """300 orders and 50 queries in one exchange second all pass."""
    exchange = await _exchange(start_exchange, clock, "none")
    api = _as(session, exchange)
    assert await _orders(api, 300) == [200] * 300
    for _ in range(50):
        assert (await api.get("/v1/fills"))[0] == 200
    assert (await _stats(session, exchange))["rate_limited"] == 0


# -- connections --------------------------------------------------------------------------


@pytest.fixture
async def sessions() -> AsyncIterator[list[aiohttp.ClientSession]]:
    """Separate client sessions, each holding its own keep-alive connection."""
    opened: list[aiohttp.ClientSession] = []
    yield opened
    for client in opened:
        await client.close()


async def _connect(
    sessions: list[aiohttp.ClientSession], exchange: Exchange, key: str = KEY_A
) -> tuple[aiohttp.ClientSession, int, Any]:
    """A new session (a new TCP connection) and the answer to its first request."""
    client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
    sessions.append(client)
    status, body = await Api(client, exchange.url, key).get("/v1/time")
    return client, status, body


@pytest.mark.parametrize(("profile", "limit"), [("fubon", 10), ("shioaji", 5)])
async def test_one_connection_over_the_limit_is_refused(
    start_exchange: StartExchange,
    clock: ManualClock,
    sessions: list[aiohttp.ClientSession],
    profile: str,
    limit: int,
) -> None:
    """The profile's connections per account are admitted; the next is 429."""
    exchange = await _exchange(start_exchange, clock, profile)
    for _ in range(limit):
        assert (await _connect(sessions, exchange))[1] == 200
    _, status, body = await _connect(sessions, exchange)
    assert status == 429
    assert CONNECTION_LIMIT_MARK in body["message"]
    assert body["message"] == CONNECTION_LIMIT_MESSAGE.format(limit=limit)


async def test_requests_on_an_admitted_connection_keep_passing(
    fubon: Exchange, sessions: list[aiohttp.ClientSession]
) -> None:
    """At the limit, the connections already admitted still get answers."""
    admitted = [(await _connect(sessions, fubon))[0] for _ in range(10)]
    await _connect(sessions, fubon)
    status, _ = await Api(admitted[0], fubon.url, KEY_A).get("/v1/time")
    assert status == 200


async def test_the_connection_limit_is_per_account(
    fubon: Exchange, sessions: list[aiohttp.ClientSession]
) -> None:
    """Account A holding 10 connections does not stop account B connecting."""
    for _ in range(10):
        await _connect(sessions, fubon)
    assert (await _connect(sessions, fubon, KEY_B))[1] == 200


async def test_closing_a_connection_frees_a_place(
    fubon: Exchange, sessions: list[aiohttp.ClientSession]
) -> None:
    """After one of 10 connections closes, a new connection is admitted."""
    admitted = [(await _connect(sessions, fubon))[0] for _ in range(10)]
    assert (await _connect(sessions, fubon))[1] == 429
    await admitted[0].close()
    # The server learns of the close from the socket; give it a few turns of the loop.
    for _ in range(20):
        _, status, _ = await _connect(sessions, fubon)
        if status == 200:
            break
        await asyncio.sleep(0.01)
    assert status == 200


async def test_refused_connections_are_counted_in_admin_stats(
    fubon: Exchange, session: aiohttp.ClientSession, sessions: list[aiohttp.ClientSession]
) -> None:
    """Each connection refused shows in the admin stats' connections_refused."""
    for _ in range(12):
        await _connect(sessions, fubon)
    assert (await _stats(session, fubon))["connections_refused"] == 2
