"""Requests as pre-built bytes on warm connections, for a rush's opening and every order
after it: each request (request line, headers, key and JSON body) is built whole, and one
idle keep-alive connection of the client's pool is set aside for it, so that sending it
costs one `write` and none of the HTTP client's request path (at the opening, the request
is built ahead and written at the target; `_prebuilt_posts` sends the rest the same way).
The connection is borrowed, not opened: the broker counts connections, and the pool
already holds as many as it allows. Its answer is read here (status, `Content-Length`
body) and the connection handed back to the pool, or closed where the answer was lost or
the exchange asked to close it. The requests hold the API key: they are never logged."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

__all__ = ["OpeningLane", "borrow_idle", "build_request", "complete_request", "request_head"]

MAX_HEAD = 16_384
"""An answer whose head is longer than this is not one the exchange sends."""


def request_head(authority: str, path: str, headers: dict[str, str]) -> bytes:
    """A POST's head up to its `Content-Length` value, which `build_request` completes."""
    head = f"POST {path} HTTP/1.1\r\nHost: {authority}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return (head + "Content-Length: ").encode("latin-1")


def build_request(authority: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    return complete_request(request_head(authority, path, headers), body)


def complete_request(head: bytes, body: bytes) -> bytes:
    """The whole request from its head (`request_head`) and body."""
    return b"%s%d\r\n\r\n%s" % (head, len(body), body)


async def borrow_idle(session: aiohttp.ClientSession) -> aiohttp.connector.Connection | None:
    """One idle keep-alive connection of `session`'s pool, taken out of it (it counts as in
    use until released), or None where none is idle."""
    connector: Any = session.connector
    take: Any = getattr(connector, "_get", None)  # aiohttp's own way to reuse an idle one
    for key in list(getattr(connector, "_conns", {})) if take is not None else []:
        connection = await take(key, [])
        if connection is not None:
            return connection  # type: ignore[no-any-return]
    return None


class _Answer(asyncio.Protocol):
    """Reads one HTTP/1.1 answer with a `Content-Length` body off a borrowed transport."""

    def __init__(self) -> None:
        self.done: asyncio.Future[tuple[int, bytes, bool]] = (
            asyncio.get_running_loop().create_future()
        )
        self._data = b""

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        self._data = self._data + data if self._data else data
        head, found, rest = self._data.partition(b"\r\n\r\n")
        if not found:
            if len(self._data) > MAX_HEAD:
                self.done.set_exception(ValueError("an answer head past 16 KiB"))
            return
        try:
            status, length, close = _read_head(head)
        except ValueError as exc:
            self.done.set_exception(exc)
            return
        if len(rest) >= length:
            self.done.set_result((status, rest[:length], close or len(rest) > length))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError("the connection closed before the answer"))

    def expire(self) -> None:
        if not self.done.done():
            self.done.set_exception(TimeoutError("no answer in time"))


def _read_head(head: bytes) -> tuple[int, int, bool]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP answer: {lines[0][:80]!r}")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip().lower()
    if b"content-length" not in fields:
        raise ValueError("an answer without Content-Length")
    return int(parts[1]), int(fields[b"content-length"]), fields.get(b"connection") == b"close"


class OpeningLane:
    """One pre-built request and the borrowed connection it goes out on: `write` it (no
    await), then read its `answer`."""

    def __init__(self, connection: aiohttp.connector.Connection, request: bytes) -> None:
        pool_protocol = connection.protocol
        assert pool_protocol is not None, "a borrowed connection is open"
        self._connection = connection
        self._pool_protocol = pool_protocol
        self._request = request
        self._answer = _Answer()  # made ahead: a write at the target costs no more than it must
        self._written = False

    def release(self) -> None:
        """Hand the connection back unused (the request did not go this way)."""
        self._connection.release()

    def write(self) -> bool:
        """Write the request if its connection is still open; whether it went. Its answer
        is read from then on, until `answer` takes it."""
        transport = self._connection.transport
        if transport is None or transport.is_closing():
            return False
        assert not self._written, "written already"
        transport.set_protocol(self._answer)
        transport.write(self._request)
        self._written = True
        return True

    def abandon(self) -> None:
        """Close the connection of a written request whose answer no one will read."""
        self._connection.close()

    async def answer(self, timeout_s: float) -> tuple[int, bytes]:
        """The written request's answer: status and body. Raises `ConnectionError`,
        `TimeoutError` or `ValueError` where no readable answer came; the connection is
        then closed."""
        assert self._written, "write first"
        transport = self._connection.transport
        # A timer of its own rather than `wait_for`'s, which wraps the wait in more objects:
        # this runs once per order.
        timer = asyncio.get_running_loop().call_later(timeout_s, self._answer.expire)
        try:
            status, body, close = await self._answer.done
        except BaseException:
            self._connection.close()
            raise
        finally:
            timer.cancel()
            if transport is not None and not transport.is_closing():
                transport.set_protocol(self._pool_protocol)
        if close:
            self._connection.close()
        else:
            with contextlib.suppress(Exception):  # the pool was closed meanwhile: nothing to keep
                self._connection.release()
        return status, body
