"""Helpers shared by the tests that talk to the exchange: the keys the `start_exchange`
fixture gives it, a thin JSON client, order bodies for the API, placing orders that must
succeed, moving a manual clock to a time of day, and reading WebSocket messages with a
bound. Test modules import from here, never from `conftest`, which holds fixtures only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from tradeburst.clock import TAIPEI, exchange_datetime
from tradeburst.exchange import Exchange, ManualClock

KEY_A = "key-account-a"
"""The API key of account A on every exchange `start_exchange` starts."""
KEY_B = "key-account-b"
"""The API key of account B, a second account on the same exchange."""
ADMIN = "key-admin"
"""The admin key of every exchange `start_exchange` starts."""

StartExchange = Callable[..., Awaitable[Exchange]]
"""The `start_exchange` fixture: starts an exchange from `ExchangeConfig` fields and `clock`."""


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


DAY = (2026, 11, 25)
"""A Wednesday, so nothing about the day itself closes the market."""

RECEIVE_TIMEOUT_S = 2.0
"""Bound on waiting for a message that must come; it is never slept through."""


def taipei(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(*DAY, hour, minute, second, tzinfo=TAIPEI)


def clock_at(hour: int, minute: int, second: int = 0) -> ManualClock:
    """A manual exchange clock at this time of day on the test day."""
    return ManualClock(taipei(hour, minute, second))


def move_to(clock: ManualClock, hour: int, minute: int, second: int = 0) -> None:
    """Advance `clock` to this time of day on the test day."""
    now = exchange_datetime(clock.now_ns())
    target = taipei(hour, minute, second)
    assert target >= now, f"cannot move the clock back from {now} to {target}"
    clock.advance(target - now)


def later(clock: ManualClock, seconds: float) -> None:
    """Advance `clock` by `seconds`."""
    clock.advance(timedelta(seconds=seconds))


async def place(api: Api, **fields: Any) -> dict[str, Any]:
    """Place one order that the exchange must accept; its OrderResult."""
    status, body = await api.post("/v1/orders", order(**fields))
    assert status == 200, body
    assert body["is_success"] is True, body
    data: dict[str, Any] = body["data"]
    return data


async def orders_of(api: Api, user_def: str | None = None) -> list[dict[str, Any]]:
    path = "/v1/orders" + (f"?user_def={user_def}" if user_def else "")
    status, body = await api.get(path)
    assert status == 200, body
    records: list[dict[str, Any]] = body["data"]
    return records


async def record_of(api: Api, order_no: str) -> dict[str, Any]:
    """The account's current OrderResult for `order_no`."""
    matches = [r for r in await orders_of(api) if r["order_no"] == order_no]
    assert len(matches) == 1, matches
    return matches[0]


async def quote(api: Api, symbol: str = "2891") -> dict[str, Any]:
    status, body = await api.get(f"/v1/quotes/{symbol}")
    assert status == 200, body
    data: dict[str, Any] = body["data"]
    return data


async def admin_orders(admin: Api) -> list[dict[str, Any]]:
    status, body = await admin.get("/v1/admin/orders")
    assert status == 200, body
    records: list[dict[str, Any]] = body["orders"]
    return records


async def receive(socket: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The next JSON message on `socket`; fails if none comes within the bound."""
    async with asyncio.timeout(RECEIVE_TIMEOUT_S):
        message: dict[str, Any] = await socket.receive_json()
    return message


async def post_status(api: Api, path: str, body: Any = None, *, raw: bytes | None = None) -> int:
    """Only the HTTP status of a POST, whatever the body (a 500 answers plain text)."""
    kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
    headers = {**api.headers, "Content-Type": "application/json"}
    async with api.session.post(api.url + path, headers=headers, **kwargs) as response:
        await response.read()
        return response.status
