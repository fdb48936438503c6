"""The API's WebSocket routes: the account stream (its orders' and fills' changes, pushed;
it takes no messages) and the market-data feed (books and trades of the symbols a client
subscribes to). Each socket's frames are read while a writer task sends its queue; every
socket is closed when the exchange shuts down."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgspec
from aiohttp import WSMsgType, web

from tradeburst.exchange._gateway import account_of
from tradeburst.exchange._request_steps import RequestSteps
from tradeburst.exchange._streams import Subscriber
from tradeburst.wire import error_frame

__all__ = ["StreamRoutes"]

_MAX_FRAME_BYTES = 64 * 1024
"""Client frames are small commands; anything bigger is abuse."""

_BINARY_REFUSAL = msgspec.json.encode(error_frame("frames must be text: JSON objects, not binary"))
"""Every stream's answer to a binary frame, which no stream takes."""


class StreamRoutes(RequestSteps):
    async def account_stream(self, request: web.Request) -> web.StreamResponse:
        socket = await self._open_socket(request)
        subscriber = Subscriber(socket)
        remove = self.streams.add(account_of(request).account, subscriber)
        refusal = msgspec.json.encode(error_frame("this stream takes no messages"))
        try:
            await self._serve_socket(subscriber, lambda _: subscriber.push(refusal))
        finally:
            remove()
        return socket

    async def market_data(self, request: web.Request) -> web.StreamResponse:
        socket = await self._open_socket(request)
        subscriber = Subscriber(socket)
        try:
            await self._serve_socket(
                subscriber, lambda text: self.feed.command(text, subscriber, self.market.symbols)
            )
        finally:
            self.feed.drop(subscriber)
        return socket

    async def _serve_socket(self, subscriber: Subscriber, on_text: Callable[[str], None]) -> None:
        """Read the client's frames while a writer task sends the subscriber's queue."""
        writer = asyncio.create_task(subscriber.drain())
        try:
            async for message in subscriber.socket:
                if message.type is WSMsgType.TEXT:
                    on_text(message.data)
                elif message.type is WSMsgType.BINARY:
                    subscriber.push(_BINARY_REFUSAL)
        finally:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            self._sockets.discard(subscriber.socket)

    async def _open_socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=30.0, max_msg_size=_MAX_FRAME_BYTES)
        await socket.prepare(request)
        self._sockets.add(socket)
        return socket

    async def _close_sockets(self, app: web.Application) -> None:
        for socket in list(self._sockets):
            await socket.close()
