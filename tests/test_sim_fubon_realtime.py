"""`sdk.init_realtime()`: the real `fugle_marketdata` clients, pointed at the rehearsal
exchange's Fugle routes with the account's key, receive its trades, books and quotes."""

from __future__ import annotations

import asyncio
import json
import queue
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tradeburst import sim
from tradeburst.exchange import Exchange
from tradeburst.sim import fubon_neo

from _support import KEY_A, StartExchange

C = fubon_neo.constant
WAIT_S = 5.0


@pytest.fixture
async def logged_in(start_exchange: StartExchange) -> AsyncIterator[tuple[Exchange, Any, Any]]:
    """The exchange, a logged-in SDK and its account."""
    exchange = await start_exchange()
    sim.configure(exchange.url, KEY_A)
    sdk = await asyncio.to_thread(fubon_neo.sdk.FubonSDK)
    accounts = await asyncio.to_thread(sdk.apikey_dma_login, "A123456789", "key")
    assert accounts.is_success
    yield exchange, sdk, accounts.data[0]
    await asyncio.to_thread(sdk.shutdown)


async def test_init_realtime_points_fugles_clients_at_the_exchange(
    logged_in: tuple[Exchange, Any, Any],
) -> None:
    """The WebSocket client streams from ws://HOST:PORT/marketdata, the REST client asks
    http://HOST:PORT/marketdata, both with the key; Speed mode refuses two channels as the
    binary does, before anything is sent."""
    exchange, sdk, _ = logged_in
    await asyncio.to_thread(sdk.init_realtime)
    host = exchange.url.removeprefix("http://")
    stock = sdk.marketdata.websocket_client.stock
    assert stock.url == f"ws://{host}/marketdata/v1.0/stock/streaming"
    assert sdk.marketdata.rest_client.stock.config == {
        "api_key": KEY_A, "base_url": f"http://{host}/marketdata/v1.0/stock",
    }  # fmt: skip
    for channel in ("aggregates", "candles"):
        with pytest.raises(ValueError, match=f"Speed mode doesn't support {channel} channel"):
            stock.subscribe({"channel": channel, "symbol": "2881"})


async def test_fugles_clients_receive_trades_books_and_a_quote(
    logged_in: tuple[Exchange, Any, Any],
) -> None:
    """Subscribed to trades and books of 2881, the unmodified WebSocket client gets both
    when two orders cross; the REST client gets the intraday quote."""
    _, sdk, account = logged_in
    await asyncio.to_thread(sdk.init_realtime)
    stock = sdk.marketdata.websocket_client.stock
    frames: queue.Queue[dict[str, Any]] = queue.Queue()
    stock.on("message", lambda text: frames.put(json.loads(text)))
    await asyncio.to_thread(stock.connect)
    try:
        stock.subscribe({"channel": "trades", "symbol": "2881"})
        stock.subscribe({"channel": "books", "symbol": "2881"})
        for side in (C.BSAction.Buy, C.BSAction.Sell):
            order = fubon_neo.sdk.Order(
                side, "2881", 1000, C.MarketType.Common, C.PriceType.Limit, C.TimeInForce.ROD,
                C.OrderType.Stock, "88",
            )  # fmt: skip
            assert (await asyncio.to_thread(sdk.stock.place_order, account, order)).is_success
        seen: set[str] = set()
        while seen != {"trades", "books"}:
            frame = await asyncio.to_thread(frames.get, True, WAIT_S)
            if frame.get("event") == "data":
                seen.add(frame["channel"])
    finally:
        await asyncio.to_thread(stock.disconnect)
    quote = await asyncio.to_thread(sdk.marketdata.rest_client.stock.intraday.quote, symbol="2881")
    assert quote["symbol"] == "2881"
