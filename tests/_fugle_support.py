"""Helpers for the tests that drive the unmodified `fugle_marketdata` clients against the
rehearsal exchange: the base URLs they take, a streaming client connected in a thread of
its own (the client blocks and calls back from its thread), and waiting for the frames it
hands over, with a bound."""

from __future__ import annotations

import asyncio
import json
import queue
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fugle_marketdata import WebSocketClient

from tradeburst.exchange import Exchange

from _support import RECEIVE_TIMEOUT_S

Frame = dict[str, Any]


def ws_base(exchange: Exchange) -> str:
    return exchange.url.replace("http://", "ws://") + "/marketdata"


def rest_base(exchange: Exchange) -> str:
    return exchange.url + "/marketdata"


class Inbox:
    """The frames a streaming client received, in order, as decoded JSON."""

    def __init__(self) -> None:
        self.raw: queue.Queue[str] = queue.Queue()
        self.seen: list[Frame] = []

    async def next_where(self, wanted: Callable[[Frame], bool]) -> Frame:
        """The next frame `wanted` accepts (the ones passed over stay in `seen`)."""
        async with asyncio.timeout(RECEIVE_TIMEOUT_S * 2):
            while True:
                text = await asyncio.to_thread(self.raw.get, timeout=RECEIVE_TIMEOUT_S * 2)
                frame: Frame = json.loads(text)
                self.seen.append(frame)
                if wanted(frame):
                    return frame


@asynccontextmanager
async def streaming(exchange: Exchange, **credentials: str) -> AsyncIterator[tuple[Any, Inbox]]:
    """The stock streaming client of `WebSocketClient(**credentials)`, connected and
    authenticated, and the inbox its messages go to; disconnected on the way out."""
    client = WebSocketClient(base_url=ws_base(exchange), **credentials)
    stock = client.stock
    inbox = Inbox()
    stock.on("message", inbox.raw.put)
    await asyncio.to_thread(stock.connect)
    try:
        yield stock, inbox
    finally:
        await asyncio.to_thread(stock.disconnect)  # it waits for the server to close


def data_of(channel: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("event") == "data" and frame.get("channel") == channel


def event_is(event: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("event") == event
