"""The OpenAPI description matches the server: every route is described, and real answers
decode strictly into the structs the description is generated from."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from tradeburst.exchange import Exchange
from tradeburst.wire import (
    AdminOrders,
    AdminStats,
    FilledData,
    OrderResult,
    Quote,
    SymbolInfo,
    TimeAnswer,
)

from _support import ADMIN, Api, order

T = TypeVar("T")


class _Enveloped(msgspec.Struct, Generic[T]):
    is_success: bool
    message: str | None
    data: T


def _exactly(raw: bytes, kind: Any) -> Any:
    """Decode `raw` as `kind`, and check it had no field that `kind` does not describe."""
    decoded = msgspec.json.decode(raw, type=kind)
    assert msgspec.json.decode(msgspec.json.encode(decoded)) == msgspec.json.decode(raw)
    return decoded


async def test_every_route_is_described(api: Api, exchange: Exchange) -> None:
    """Each path the server routes appears in /openapi.json, and nothing more."""
    status, spec = await api.get("/openapi.json")
    assert status == 200
    routed = {
        resource.canonical
        for resource in exchange.api.app.router.resources()
        if resource.canonical.startswith("/v1/")
    }
    assert routed == set(spec["paths"])


async def test_answers_decode_into_the_described_shapes(api: Api) -> None:
    """Clock, symbols, quote, orders and fills answers have exactly the described fields."""

    async def raw(path: str) -> bytes:
        async with api.session.get(api.url + path, headers=api.headers) as response:
            assert response.status == 200
            return await response.read()

    await api.post("/v1/orders", order(side="Buy", price="40.60"))
    await api.post("/v1/orders", order(side="Sell", price="40.60"))
    _exactly(await raw("/v1/time"), TimeAnswer)
    _exactly(await raw("/v1/symbols"), _Enveloped[list[SymbolInfo]])
    _exactly(await raw("/v1/quotes/2891"), _Enveloped[Quote])
    orders = _exactly(await raw("/v1/orders"), _Enveloped[list[OrderResult]])
    fills = _exactly(await raw("/v1/fills"), _Enveloped[list[FilledData]])
    assert len(orders.data) == 2
    assert len(fills.data) == 2


async def test_admin_answers_decode_into_the_described_shapes(api: Api) -> None:
    """The admin order list and stats have exactly the described fields."""
    await api.post("/v1/orders", order())
    headers = {"Authorization": f"Bearer {ADMIN}"}
    async with api.session.get(api.url + "/v1/admin/orders", headers=headers) as response:
        listed = _exactly(await response.read(), AdminOrders)
    async with api.session.get(api.url + "/v1/admin/stats", headers=headers) as response:
        stats = _exactly(await response.read(), AdminStats)
    assert len(listed.orders) == 1
    assert stats.requests >= 1
