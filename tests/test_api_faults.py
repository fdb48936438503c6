"""Seeded faults over real HTTP: an error refuses before anything is placed, a reset drops
the connection before anything is placed, an ambiguous fault places the order and loses
the answer, a stall answers late; the admin stats count them, and the same seed gives
the same faults for the same requests."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tradeburst.exchange import Exchange, FaultRates, NetworkModel

from _support import (
    ADMIN,
    KEY_A,
    Api,
    StartExchange,
    admin_orders,
    clock_at,
    move_to,
    order,
    orders_of,
    place,
)

SHORT_STALL_MS = 50.0


async def _start(start_exchange: StartExchange, **rates: float) -> Exchange:
    faults = FaultRates(stall_ms=SHORT_STALL_MS, late_ms=SHORT_STALL_MS, **rates)
    return await start_exchange(faults=faults)


def _as(session: aiohttp.ClientSession, exchange: Exchange, key: str = KEY_A) -> Api:
    return Api(session, exchange.url, key)


async def _stats(session: aiohttp.ClientSession, exchange: Exchange) -> dict[str, Any]:
    status, body = await _as(session, exchange, ADMIN).get("/v1/admin/stats")
    assert status == 200
    stats: dict[str, Any] = body
    return stats


async def _outcome(api: Api, path: str, body: Any) -> int | str:
    """The HTTP status, or "dropped" when the connection closed without an answer."""
    try:
        return (await api.post(path, body))[0]
    except aiohttp.ClientConnectionError:
        return "dropped"


# -- error --------------------------------------------------------------------------------


async def test_an_error_fault_is_503_and_places_nothing(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """With error rate 1, an order is answered 503 and the exchange holds no order."""
    exchange = await _start(start_exchange, error=1.0)
    status, body = await _as(session, exchange).post("/v1/orders", order(user_def="E1"))
    assert status == 503
    assert body["is_success"] is False
    assert await admin_orders(_as(session, exchange, ADMIN)) == []
    assert await orders_of(_as(session, exchange), "E1") == []


async def test_an_error_fault_on_a_batch_places_none_of_it(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """A faulted batch is 503 and none of its orders exist."""
    exchange = await _start(start_exchange, error=1.0)
    batch = {"orders": [order(price="40.00") for _ in range(5)]}
    assert (await _as(session, exchange).post("/v1/orders/batch", batch))[0] == 503
    assert await admin_orders(_as(session, exchange, ADMIN)) == []


async def test_faults_strike_only_order_actions(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """With error rate 1, queries, quotes and the clock still answer 200."""
    exchange = await _start(start_exchange, error=1.0)
    api = _as(session, exchange)
    for path in ("/v1/orders", "/v1/fills", "/v1/quotes/2891", "/v1/symbols", "/v1/time"):
        assert (await api.get(path))[0] == 200, path


async def test_a_malformed_body_is_refused_before_any_fault(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """With error rate 1, a body that does not decode is still a 400, not a 503."""
    exchange = await _start(start_exchange, error=1.0)
    assert (await _as(session, exchange).post("/v1/orders", {"symbol": "2891"}))[0] == 400


# -- reset --------------------------------------------------------------------------------


async def test_a_reset_fault_drops_the_connection_and_places_nothing(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """With reset rate 1, the client sees a connection error and no order exists."""
    exchange = await _start(start_exchange, reset=1.0)
    with pytest.raises(aiohttp.ClientConnectionError):
        await _as(session, exchange).post("/v1/orders", order(user_def="R1"))
    assert await admin_orders(_as(session, exchange, ADMIN)) == []


# -- ambiguous ----------------------------------------------------------------------------


async def test_an_ambiguous_fault_loses_the_answer(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """With ambiguous rate 1, every order's answer is lost: the connection closes."""
    exchange = await _start(start_exchange, ambiguous=1.0)
    api = _as(session, exchange)
    outcomes = [await _outcome(api, "/v1/orders", order(user_def=f"U{i}")) for i in range(6)]
    assert outcomes == ["dropped"] * 6


async def test_an_ambiguous_order_is_placed_all_the_same(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """The lost order is found by its user_def and is in the admin list."""
    exchange = await _start(start_exchange, ambiguous=1.0)
    api = _as(session, exchange)
    await _outcome(api, "/v1/orders", order(price="40.00", user_def="AMB1"))
    [found] = await orders_of(api, "AMB1")
    assert found["status"] == 10
    [listed] = await admin_orders(_as(session, exchange, ADMIN))
    assert listed["order_no"] == found["order_no"]
    assert listed["user_def"] == "AMB1"


async def test_an_ambiguous_batch_places_every_order(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """A batch whose answer is lost has still placed all of its orders."""
    exchange = await _start(start_exchange, ambiguous=1.0)
    api = _as(session, exchange)
    batch = {"orders": [order(price="40.00", user_def="AMBB") for _ in range(4)]}
    assert await _outcome(api, "/v1/orders/batch", batch) == "dropped"
    assert len(await orders_of(api, "AMBB")) == 4


# -- stall --------------------------------------------------------------------------------


async def test_a_stalled_order_is_answered_and_placed(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """With stall rate 1 and a short stall, the answer comes and the order is placed."""
    exchange = await _start(start_exchange, stall=1.0)
    api = _as(session, exchange)
    placed = await place(api, price="40.00", user_def="ST1")
    assert [r["order_no"] for r in await orders_of(api, "ST1")] == [placed["order_no"]]


# -- counting and replay ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["error", "reset", "ambiguous", "stall", "late"])
async def test_admin_stats_count_each_fault(
    start_exchange: StartExchange, session: aiohttp.ClientSession, kind: str
) -> None:
    """Three faulted orders count three of their kind and none of the others."""
    exchange = await _start(start_exchange, **{kind: 1.0})
    api = _as(session, exchange)
    for _ in range(3):
        await _outcome(api, "/v1/orders", order(price="40.00"))
    faults = (await _stats(session, exchange))["faults"]
    assert faults == {name: (3 if name == kind else 0) for name in faults}
    assert set(faults) == {"error", "reset", "ambiguous", "stall", "late"}


async def _fault_sequence(
    start_exchange: StartExchange, session: aiohttp.ClientSession, seed: int
) -> list[int | str]:
    exchange = await start_exchange(
        seed=seed, faults=FaultRates(error=0.3, reset=0.15, ambiguous=0.15, stall_ms=0.0)
    )
    api = _as(session, exchange)
    return [
        await _outcome(api, "/v1/orders", order(price="40.00", user_def=f"Q{i}")) for i in range(40)
    ]


async def test_the_same_seed_gives_the_same_faults(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """Two exchanges with one seed and the same requests fault the same requests the same way."""
    first = await _fault_sequence(start_exchange, session, seed=7)
    second = await _fault_sequence(start_exchange, session, seed=7)
    assert first == second
    assert {200, 503, "dropped"} <= set(first)


async def test_another_seed_gives_other_faults(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """A different seed changes which requests fault."""
    first = await _fault_sequence(start_exchange, session, seed=7)
    other = await _fault_sequence(start_exchange, session, seed=8)
    assert first != other


# -- network model ------------------------------------------------------------------------


async def test_orders_succeed_over_a_slow_network(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """With latency, jitter and a connection delay set, orders and queries answer normally."""
    network = NetworkModel(latency_ms=4.0, jitter_ms=4.0, connect_delay_ms=10.0)
    exchange = await start_exchange(network=network)
    api = _as(session, exchange)
    await place(api, side="Sell", price="40.60")
    assert (await place(api, side="Buy", price="40.60"))["status"] == 50
    assert len(await orders_of(api)) == 2


def test_a_negative_latency_is_refused() -> None:
    """The network model cannot be built with negative latency."""
    with pytest.raises(ValueError, match="negative"):
        NetworkModel(latency_ms=-1.0)


def test_fault_rates_above_one_in_total_are_refused() -> None:
    """Fault rates that add up to more than 1 are refused at construction."""
    with pytest.raises(ValueError, match="add up"):
        FaultRates(error=0.6, reset=0.6)


async def test_a_stalled_order_is_judged_when_it_arrives_not_when_answered(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """A market order that arrives in the pre-open is refused even if its stalled answer
    comes after 09:00: the stall delays the answer, not the order."""
    clock = clock_at(8, 59, 59)
    exchange = await start_exchange(
        always_open=False, clock=clock, faults=FaultRates(stall=1.0, stall_ms=200)
    )
    api = _as(session, exchange)
    answer = asyncio.create_task(api.post("/v1/orders", order(price=None, price_type="Market")))
    while not exchange.api.gateway.stats.requests:  # noqa: ASYNC110 - the server's own count
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.05)  # same loop: the handler runs on until it stalls
    move_to(clock, 9, 0, 1)
    status, body = await answer
    assert status == 200
    assert body["is_success"] is False
    assert "continuous trading" in body["message"]
