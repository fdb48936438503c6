"""Fixtures: the real rehearsal exchange on 127.0.0.1, port 0, and a thin JSON client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from tradeburst.exchange import Exchange
from tradeburst.testing import rehearsal_exchange

KEY_A = "key-account-a"
KEY_B = "key-account-b"
ADMIN = "key-admin"

StartExchange = Callable[..., Awaitable[Exchange]]


class Api:
    """JSON calls to one exchange as one key; answers are (HTTP status, decoded body)."""

    def __init__(self, session: aiohttp.ClientSession, url: str, key: str | None) -> None:
        self.session = session
        self.url = url
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.session.get(self.url + path, headers=self.headers) as response:
            return response.status, await response.json(content_type=None)

    async def post(
        self, path: str, body: Any = None, *, raw: bytes | None = None
    ) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        headers = {**self.headers, "Content-Type": "application/json"}
        async with self.session.post(self.url + path, headers=headers, **kwargs) as response:
            return response.status, await response.json(content_type=None)


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


def order(
    symbol: str = "2891",
    side: str = "Buy",
    quantity: int = 1000,
    price: str | None = "40.60",
    **extra: Any,
) -> dict[str, Any]:
    """An order body for the API."""
    body: dict[str, Any] = {"symbol": symbol, "buy_sell": side, "quantity": quantity, **extra}
    if price is not None:
        body["price"] = price
    return body
