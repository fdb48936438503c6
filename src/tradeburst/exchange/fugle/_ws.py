"""One connection to Fugle's streaming API (`/marketdata/v1.0/stock/streaming`).

Once the client has authenticated (`_handshake`), it may `subscribe` (by `symbol` or
`symbols`; each subscription gets an id), `unsubscribe` (by `id` or `ids`), ask for its
`subscriptions` and `ping`; the server sends a `heartbeat` every `heartbeat_s`. Every
input is bounded: frames by `MAX_FRAME_BYTES`, subscriptions per connection by
`MAX_SUBSCRIPTIONS`; a bad frame is answered with an error event and never closes the
connection.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

import msgspec
from aiohttp import WSMsgType, web

from tradeburst.exchange._market import Market
from tradeburst.exchange._streams import Subscriber
from tradeburst.exchange.fugle._handshake import (
    AUTHENTICATED_FRAME,
    UNAUTHENTICATED_MESSAGE,
    auth_key,
    authenticated,
)
from tradeburst.exchange.fugle._hub import CHANNELS, Hub
from tradeburst.exchange.fugle._shapes import (
    BAD_REQUEST,
    NOT_FOUND,
    TOO_MANY,
    error_frame,
    event_frame,
)

__all__ = ["MAX_FRAME_BYTES", "MAX_SUBSCRIPTIONS", "serve_connection"]

MAX_FRAME_BYTES = 64 * 1024
MAX_SUBSCRIPTIONS = 200
_USAGE = 'send {"event": "subscribe", "data": {"channel": "trades", "symbol": "2330"}}'


class _Connection:
    def __init__(
        self,
        socket: web.WebSocketResponse,
        hub: Hub,
        market: Market,
        authenticate: Callable[[str], bool],
    ) -> None:
        self.subscriber = Subscriber(socket)
        self._authenticate = authenticate
        self._hub = hub
        self._market = market
        self._by_id: dict[str, tuple[str, str]] = {}
        self._by_key: dict[tuple[str, str], str] = {}

    def push(self, frame: bytes) -> None:
        self.subscriber.push(frame)

    def error(self, code: int, message: str) -> None:
        self.push(error_frame(message, code))

    def now_us(self) -> int:
        return self._market.clock.now_ns() // 1000

    def command(self, text: str) -> None:
        try:
            frame = msgspec.json.decode(text)
        except (msgspec.DecodeError, RecursionError):
            frame = None
        if not isinstance(frame, dict):
            return self.error(BAD_REQUEST, "frames must be JSON objects")
        event, data = frame.get("event"), frame.get("data")
        if event == "auth":  # again: answered as the first one was, the connection kept
            key = auth_key(text)
            if key and self._authenticate(key):
                return self.push(AUTHENTICATED_FRAME)
            return self.push(error_frame(UNAUTHENTICATED_MESSAGE))
        if event == "subscriptions":
            return self.push(event_frame("subscriptions", self._listing()))
        if event == "ping":
            pong: dict[str, Any] = {"time": self.now_us()}
            if isinstance(data, dict) and "state" in data:
                pong["state"] = data["state"]
            return self.push(event_frame("pong", pong))
        if event not in ("subscribe", "unsubscribe") or not isinstance(data, dict):
            return self.error(BAD_REQUEST, f"unknown event or no data object: {_USAGE}")
        if event == "subscribe":
            return self._subscribe(data)
        return self._unsubscribe(data)

    def _listing(self) -> list[dict[str, str]]:
        return [_entry(sid, ch, sym) for sid, (ch, sym) in self._by_id.items()]

    def _subscribe(self, data: dict[str, Any]) -> None:
        channel = data.get("channel")
        if channel not in CHANNELS:
            return self.error(BAD_REQUEST, f"channel must be one of {', '.join(CHANNELS)}")
        if data.get("intradayOddLot") or data.get("afterHours"):
            return self.error(BAD_REQUEST, "only the regular board is served (no odd lots)")
        named = self._one_or_many(data, "symbol", "symbols")
        if named is None:
            return
        batch, single = named
        added = [a for a in (self._add(channel, name) for name in batch) if a is not None]
        self._acknowledge("subscribed", [entry for entry, _ in added], single)
        for entry, new in added:  # each snapshot after the acknowledgement
            if new:
                self._hub.add(channel, entry["symbol"], self.subscriber, entry["id"])

    def _add(self, channel: str, symbol: str) -> tuple[dict[str, str], bool] | None:
        """The subscription's entry, and whether it is new; None (and an error) if refused."""
        existing = self._by_key.get((channel, symbol))
        if existing is not None:
            return _entry(existing, channel, symbol), False
        if symbol not in self._market.symbols:
            self.error(NOT_FOUND, f"symbol {symbol[:20]!r} is not listed")
            return None
        if len(self._by_id) >= MAX_SUBSCRIPTIONS:
            self.error(TOO_MANY, f"at most {MAX_SUBSCRIPTIONS} subscriptions a connection")
            return None
        subscription_id = secrets.token_urlsafe(12)
        self._by_id[subscription_id] = (channel, symbol)
        self._by_key[(channel, symbol)] = subscription_id
        return _entry(subscription_id, channel, symbol), True

    def _unsubscribe(self, data: dict[str, Any]) -> None:
        named = self._one_or_many(data, "id", "ids")
        if named is None:
            return
        ids, single = named
        removed = []
        for subscription_id in ids:
            key = self._by_id.pop(subscription_id, None)
            if key is None:
                self.error(NOT_FOUND, f"no subscription with id {subscription_id[:40]!r}")
                continue
            del self._by_key[key]
            self._hub.remove(*key, self.subscriber)
            removed.append(_entry(subscription_id, *key))
        self._acknowledge("unsubscribed", removed, single)

    def _one_or_many(
        self, data: dict[str, Any], one: str, many: str
    ) -> tuple[list[str], bool] | None:
        """The strings `data` gives under `one` (a string) or `many` (a list of them), and
        whether it was `one`; None, the error sent, for neither or both, or too many."""
        single, batch = data.get(one), data.get(many)
        if (single is None) == (batch is None):
            self.error(BAD_REQUEST, f"give exactly one of {one} and {many}")
            return None
        items = batch if single is None else [single]
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            self.error(BAD_REQUEST, f"{one} must be a string, {many} a list of strings")
            return None
        if len(items) > MAX_SUBSCRIPTIONS:
            self.error(TOO_MANY, f"at most {MAX_SUBSCRIPTIONS} subscriptions a connection")
            return None
        return items, single is not None

    def _acknowledge(self, event: str, entries: list[dict[str, str]], single: bool) -> None:
        """One entry for a request by `symbol` or `id`, the list for `symbols` or `ids`;
        nothing when none was done (each refusal had its error)."""
        if entries:
            self.push(event_frame(event, entries[0] if single else entries))

    def close(self) -> None:
        for channel, symbol in self._by_id.values():
            self._hub.remove(channel, symbol, self.subscriber)
        self._by_id.clear()
        self._by_key.clear()


def _entry(subscription_id: str, channel: str, symbol: str) -> dict[str, str]:
    return {"id": subscription_id, "channel": channel, "symbol": symbol}


async def serve_connection(
    request: web.Request,
    *,
    hub: Hub,
    market: Market,
    authenticate: Callable[[str], bool],
    heartbeat_s: float,
    auth_timeout_s: float,
    sockets: set[web.WebSocketResponse],
) -> web.WebSocketResponse:
    """Serve one client until it leaves (or fails to authenticate in time)."""
    socket = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES)
    await socket.prepare(request)
    sockets.add(socket)
    connection = _Connection(socket, hub, market, authenticate)
    try:
        if await authenticated(socket, authenticate, auth_timeout_s):
            await _serve(connection, heartbeat_s)
    finally:
        connection.close()
        sockets.discard(socket)
        await socket.close()
    return socket


async def _serve(connection: _Connection, heartbeat_s: float) -> None:
    socket = connection.subscriber.socket
    writer = asyncio.create_task(connection.subscriber.drain())
    heart = asyncio.create_task(_heartbeat(connection, heartbeat_s))
    try:
        async for message in socket:
            if message.type is WSMsgType.TEXT:
                connection.command(message.data)
            elif message.type is WSMsgType.BINARY:
                connection.error(BAD_REQUEST, "frames must be text JSON")
    finally:
        for task in (writer, heart):
            task.cancel()
        await asyncio.gather(writer, heart, return_exceptions=True)


async def _heartbeat(connection: _Connection, heartbeat_s: float) -> None:
    while True:
        await asyncio.sleep(heartbeat_s)
        connection.push(event_frame("heartbeat", {"time": connection.now_us()}))
