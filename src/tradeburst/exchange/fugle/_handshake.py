"""The start of a connection to Fugle's streaming API: the client authenticates with its
first frame (`auth` with `apikey`, `token` or `sdkToken`, whichever carries one of the
exchange's API keys) within a deadline. A wrong key gets Fugle's exact refusal text (its
client matches it) and the connection is closed; so is a client that does not
authenticate in time. Frames before a good `auth` are answered with an error, never
served.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import msgspec
from aiohttp import WSMsgType, web

from tradeburst.exchange.fugle._shapes import BAD_REQUEST, UNAUTHORIZED, error_frame, event_frame

__all__ = [
    "AUTHENTICATED_FRAME",
    "AUTH_TIMEOUT_S",
    "UNAUTHENTICATED_MESSAGE",
    "auth_key",
    "authenticated",
]

AUTH_TIMEOUT_S = 10.0
UNAUTHENTICATED_MESSAGE = "Invalid authentication credentials"
AUTHENTICATED_FRAME = event_frame("authenticated", {"message": "Authenticated successfully"})


async def authenticated(
    socket: web.WebSocketResponse, authenticate: Callable[[str], bool], timeout_s: float
) -> bool:
    """Read frames until a good `auth` (True) or a wrong one, a timeout or a close (False).
    Frames before it are answered with an error: nothing else is served unauthenticated."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            message = await socket.receive(timeout=max(0.001, deadline - loop.time()))
        except TimeoutError:
            await _send(socket, error_frame("authentication timeout", UNAUTHORIZED))
            return False
        if message.type is not WSMsgType.TEXT:
            if message.type is WSMsgType.BINARY:
                await _send(socket, error_frame("frames must be text JSON", BAD_REQUEST))
                continue
            return False  # closed, closing or broken
        key = auth_key(message.data)
        if key is None:
            await _send(
                socket, error_frame("authenticate first: send the auth event", UNAUTHORIZED)
            )
            continue
        if not authenticate(key):
            await _send(socket, error_frame(UNAUTHENTICATED_MESSAGE))
            return False
        await _send(socket, AUTHENTICATED_FRAME)
        return True


def auth_key(text: str) -> str | None:
    """The credential of an `auth` frame, whichever of Fugle's three names carries it."""
    try:
        frame = msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError):
        return None
    if not isinstance(frame, dict) or frame.get("event") != "auth":
        return None
    data = frame.get("data")
    if not isinstance(data, dict):
        return ""
    for name in ("apikey", "token", "sdkToken"):
        value = data.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


async def _send(socket: web.WebSocketResponse, frame: bytes) -> None:
    with contextlib.suppress(ConnectionError):
        await socket.send_str(frame.decode())
