"""Fixtures only: the real rehearsal exchange on 127.0.0.1, port 0, and JSON clients to it
(the names tests import live in `_support`); and a real `redis-server` (`_redis_server`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from _postgres_server import postgres  # noqa: F401 - the session's PostgreSQL server
from tradeburst.exchange import Exchange
from tradeburst.testing import rehearsal_exchange

from _redis_server import redis_server, redis_url  # noqa: F401 - fixtures
from _support import ADMIN, KEY_A, KEY_B, Api, StartExchange

# A rush raised to SCHED_FIFO spins with a core to itself; beside it on two cores, the
# exchange and the rushes of other tests' workers would wait and miss their own targets.
# Only tests/test_rush_priority.py, which is about the raise, lets rushes take it.
os.environ.setdefault("TRADEBURST_RUSH_PRIORITY", "normal")


@pytest.fixture
async def start_exchange() -> AsyncIterator[StartExchange]:
    """Start exchanges with any config (defaults: always open, no limits, no liquidity)."""
    started: list[Exchange] = []

    async def start(**overrides: Any) -> Exchange:
        config: dict[str, Any] = {
            "api_keys": (KEY_A, KEY_B),
            "admin_key": ADMIN,
            "profile": "none",
            "always_open": True,
            "liquidity": False,
            "seed": 1,
        }
        config.update(overrides)
        exchange = rehearsal_exchange(**config)
        await exchange.start()
        started.append(exchange)
        return exchange

    yield start
    for exchange in started:
        await exchange.aclose()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def exchange(start_exchange: StartExchange) -> Exchange:
    return await start_exchange()


@pytest.fixture
def api(session: aiohttp.ClientSession, exchange: Exchange) -> Api:
    return Api(session, exchange.url, KEY_A)


@pytest.fixture
def api_b(session: aiohttp.ClientSession, exchange: Exchange) -> Api:
    return Api(session, exchange.url, KEY_B)


@pytest.fixture
def admin(session: aiohttp.ClientSession, exchange: Exchange) -> Api:
    return Api(session, exchange.url, ADMIN)
