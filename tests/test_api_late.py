"""Requests that outlive their client, over real sockets: a request whose bytes reached the
exchange is carried out even if the client has gone, as a real server does, and the late
fault holds a request before carrying it out, whatever the client does meanwhile. The
admin API is the witness: what it lists is what landed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from typer.testing import CliRunner

from tradeburst.cli import app
from tradeburst.exchange import PROFILES, FaultRates, NetworkModel, exchange_child, serving
from tradeburst.exchange._store import Store

from _support import ADMIN, KEY_A, Api, StartExchange, admin_orders, order

WAIT_S = 20.0
"""Bound on waiting for something that must happen; never slept through."""

LONG_HOLD_MS = 600_000.0
"""A hold no test waits out: only a stopping exchange ends it."""


async def _until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Return once `condition` holds; fail if it does not within the bound."""
    async with asyncio.timeout(WAIT_S):
        while not await condition():  # noqa: ASYNC110 - polling the server's own witness
            await asyncio.sleep(0.01)


async def _stats(admin: Api) -> dict[str, Any]:
    status, body = await admin.get("/v1/admin/stats")
    assert status == 200, body
    stats: dict[str, Any] = body
    return stats


async def _held(admin: Api) -> int:
    held: int = (await _stats(admin))["requests_held"]
    return held


async def _send(url: str, path: str, body: Any) -> asyncio.StreamWriter:
    """Write a whole HTTP request on a fresh connection and return without reading."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    _, writer = await asyncio.open_connection(parts.hostname, parts.port)
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {KEY_A}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    writer.write(head.encode() + payload)
    await writer.drain()
    return writer


async def _leave(writer: asyncio.StreamWriter) -> None:
    writer.close()
    await writer.wait_closed()


def _late(rate: float = 1.0, late_ms: float = LONG_HOLD_MS) -> FaultRates:
    return FaultRates(late=rate, late_ms=late_ms)


async def test_an_order_whose_client_left_during_processing_is_placed(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """A client that closes its connection while the exchange is still on its request
    (here: in the connection's setup delay) does not undo the request: the order lands."""
    exchange = await start_exchange(network=NetworkModel(connect_delay_ms=1000.0))
    writer = await _send(exchange.url, "/v1/orders", order(price="40.00", user_def="GONE1"))
    async with asyncio.timeout(WAIT_S):
        while not exchange.api.gateway.stats.requests:  # noqa: ASYNC110 - the server's count
            await asyncio.sleep(0.005)
    await _leave(writer)
    admin = Api(session, exchange.url, ADMIN)

    async def landed() -> bool:
        return len(await admin_orders(admin)) == 1

    await _until(landed)
    [found] = await admin_orders(admin)
    assert found["user_def"] == "GONE1"


async def test_a_batch_whose_client_left_during_processing_is_placed_whole(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """The same for a batch: every one of its orders lands."""
    exchange = await start_exchange(network=NetworkModel(connect_delay_ms=1000.0))
    batch = {"orders": [order(price="40.00", user_def="GONEB") for _ in range(5)]}
    writer = await _send(exchange.url, "/v1/orders/batch", batch)
    async with asyncio.timeout(WAIT_S):
        while not exchange.api.gateway.stats.requests:  # noqa: ASYNC110 - the server's count
            await asyncio.sleep(0.005)
    await _leave(writer)
    admin = Api(session, exchange.url, ADMIN)

    async def landed() -> bool:
        return len(await admin_orders(admin)) == 5

    await _until(landed)


# -- the late fault -----------------------------------------------------------------------


async def test_a_late_order_lands_after_its_client_left(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """A held order is not there while held, and lands when the hold ends although its
    client closed the connection meanwhile; its receive stamp is the landing time."""
    exchange = await start_exchange(faults=_late(late_ms=1500.0))
    admin = Api(session, exchange.url, ADMIN)
    writer = await _send(exchange.url, "/v1/orders", order(price="40.00", user_def="LATE1"))

    async def held() -> bool:
        return await _held(admin) == 1

    await _until(held)
    await _leave(writer)
    left_ns = exchange.clock.now_ns()
    assert await admin_orders(admin) == []

    async def landed() -> bool:
        return len(await admin_orders(admin)) == 1

    await _until(landed)
    [found] = await admin_orders(admin)
    assert found["user_def"] == "LATE1"
    assert found["received_ns"] > left_ns
    stats = await _stats(admin)
    assert stats["faults"]["late"] == 1
    assert stats["requests_held"] == 0


async def _late_draws(
    start_exchange: StartExchange, session: aiohttp.ClientSession, seed: int
) -> list[int]:
    """Which of 30 orders sent one after another were held (1) or not (0)."""
    exchange = await start_exchange(seed=seed, faults=_late(rate=0.5, late_ms=0.0))
    api = Api(session, exchange.url, KEY_A)
    admin = Api(session, exchange.url, ADMIN)
    draws: list[int] = []
    for i in range(30):
        before = (await _stats(admin))["faults"]["late"]
        status, _ = await api.post("/v1/orders", order(price="40.00", user_def=f"D{i}"))
        assert status == 200
        draws.append((await _stats(admin))["faults"]["late"] - before)
    return draws


async def test_the_same_seed_holds_the_same_requests(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """Two exchanges with one seed hold the same requests of the same sequence; another
    seed holds others."""
    first = await _late_draws(start_exchange, session, seed=7)
    again = await _late_draws(start_exchange, session, seed=7)
    other = await _late_draws(start_exchange, session, seed=8)
    assert first == again
    assert set(first) == {0, 1}
    assert other != first


async def test_the_late_fault_leaves_the_other_faults_where_they_were(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """Switching late on does not change which requests meet an error fault."""

    async def errors(late: float) -> list[int]:
        faults = FaultRates(error=0.4, late=late, late_ms=0.0)
        exchange = await start_exchange(seed=3, faults=faults)
        api = Api(session, exchange.url, KEY_A)
        return [(await api.post("/v1/orders", order(price="40.00")))[0] for _ in range(20)]

    without = await errors(0.0)
    assert set(without) == {200, 503}
    assert await errors(0.5) == without


@pytest.mark.parametrize("profile", sorted(PROFILES))
async def test_late_orders_are_answered_under_every_profile(
    start_exchange: StartExchange, session: aiohttp.ClientSession, profile: str
) -> None:
    """With every request held, a single order and a batch are both answered and placed,
    under each broker profile, and each counts as one late request."""
    exchange = await start_exchange(profile=profile, faults=_late(late_ms=50.0))
    api = Api(session, exchange.url, KEY_A)
    status, single = await api.post("/v1/orders", order(price="40.00", user_def="S1"))
    assert (status, single["is_success"]) == (200, True), single
    batch = {"orders": [order(price="40.00", user_def="B1") for _ in range(3)]}
    status, answer = await api.post("/v1/orders/batch", batch)
    assert (status, answer["is_success"]) == (200, True), answer
    admin = Api(session, exchange.url, ADMIN)
    assert sorted(r["user_def"] for r in await admin_orders(admin)) == ["B1", "B1", "B1", "S1"]
    assert (await _stats(admin))["faults"]["late"] == 2


async def test_a_late_cancel_still_cancels(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """Cancels are order actions too: a held cancel is carried out when its hold ends."""
    exchange = await start_exchange(faults=_late(late_ms=20.0))
    api = Api(session, exchange.url, KEY_A)
    status, placed = await api.post("/v1/orders", order(price="40.00"))
    assert status == 200
    status, cancelled = await api.post(f"/v1/orders/{placed['data']['order_no']}/cancel")
    assert (status, cancelled["is_success"]) == (200, True), cancelled
    assert (await _stats(Api(session, exchange.url, ADMIN)))["faults"]["late"] == 2


# -- stopping -----------------------------------------------------------------------------


async def test_a_stop_drops_what_is_held_at_once_and_stores_none_of_it(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A clean stop does not wait out a late hold: the held order is dropped unplaced
    (its client sees the connection close), and the database holds no trace of it."""
    db = tmp_path / "exchange.sqlite"
    exchange = await start_exchange(db=str(db), faults=_late())
    writer = await _send(exchange.url, "/v1/orders", order(price="40.00"))
    admin = Api(session, exchange.url, ADMIN)

    async def held() -> bool:
        return await _held(admin) == 1

    await _until(held)
    async with asyncio.timeout(WAIT_S):
        await exchange.aclose()
    await _leave(writer)
    store = Store(db)
    try:
        assert store.load() == ([], [])
    finally:
        store.close()


async def test_a_stop_drops_a_stalled_answer_but_keeps_its_order(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """An answer stalled after the market acted does not hold up a stop either, and the
    order it answered for is in the database."""
    db = tmp_path / "exchange.sqlite"
    exchange = await start_exchange(db=str(db), faults=FaultRates(stall=1.0, stall_ms=LONG_HOLD_MS))
    writer = await _send(exchange.url, "/v1/orders", order(price="40.00", user_def="KEPT"))
    admin = Api(session, exchange.url, ADMIN)

    async def held() -> bool:
        return await _held(admin) == 1

    await _until(held)
    async with asyncio.timeout(WAIT_S):
        await exchange.aclose()
    await _leave(writer)
    store = Store(db)
    try:
        records, _ = store.load()
    finally:
        store.close()
    assert [r.user_def for r in records] == ["KEPT"]


# -- the command line ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [(["--late-rate", "1.5"], "--late-rate"), (["--late-ms", "nan"], "--late-ms")],
)
def test_the_exchange_command_refuses_impossible_late_options(args: list[str], option: str) -> None:
    """An impossible late rate or time exits 2 naming the option, before serving."""
    result = CliRunner().invoke(app, ["exchange", *args])
    assert result.exit_code == 2
    assert option in result.output


async def test_the_exchange_command_holds_late_requests(session: aiohttp.ClientSession) -> None:
    """`tradeburst exchange --late-rate 1` holds every order action, and they still land."""
    options = ("--api-key", KEY_A, "--admin-key", ADMIN, "--profile", "none", "--always-open")
    command = exchange_child(*options, "--no-liquidity", "--late-rate", "1", "--late-ms", "20")
    async with serving(command) as url:
        api = Api(session, url, KEY_A)
        status, answer = await api.post("/v1/orders", order(price="40.00"))
        assert (status, answer["is_success"]) == (200, True), answer
        assert (await _stats(Api(session, url, ADMIN)))["faults"]["late"] == 1
