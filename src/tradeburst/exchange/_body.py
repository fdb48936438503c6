"""Reading and decoding a request's body, one rule for every route.

Reading is done the way a server on the other side of a network does: bytes that reached
the exchange are the request, whether or not their sender is still there.

aiohttp fails a request's payload as soon as its connection is lost, even when every byte
of the body had already arrived, so a handler that reads after the client left would drop
a request a real broker carries out. `read_body` gives the body whenever it arrived whole,
and None only when the client left before it did.

Decoding takes JSON only, declared as such (`Content-Type: application/json`, else 415),
and UTF-8 only, checked before the JSON decoder sees it (msgspec raises a bare
`UnicodeDecodeError` on invalid UTF-8 inside a string, which once made a 500). Every
refusal is a `BodyError` carrying its HTTP status and what is wrong. The JSON is decoded by
one `BodyDecoder` per type (`_lenient.py`), which checks the string patterns itself and
refuses exactly as msgspec's strict decoder does, at a fraction of its cost.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

import msgspec
from aiohttp import web
from aiohttp.streams import StreamReader

from tradeburst.errors import TradeburstError
from tradeburst.exchange._lenient import BodyDecoder

__all__ = ["MAX_BODY_BYTES", "BodyError", "decode_body", "read_body"]

T = TypeVar("T")

MAX_BODY_BYTES = 1024 * 1024
"""Thirty orders take a few kilobytes; anything near this is abuse."""


async def read_body(request: web.Request, timeout_s: float) -> bytes | None:
    """The whole body, or None if the client left before sending all of it or took
    longer than `timeout_s` to send it (a slow body holds a connection for nothing).
    Raises `HTTPRequestEntityTooLarge` past `MAX_BODY_BYTES` and `RequestPayloadError` for
    a body that does not decode (a broken chunked or compressed encoding)."""
    payload = request.content
    if payload.is_eof() and payload.exception() is None:
        # Arrived whole with the headers (an order's body mostly does): no wait to bound.
        body = payload.read_nowait(-1)
        if len(body) > MAX_BODY_BYTES:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY_BYTES, actual_size=len(body))
        return body
    try:
        async with asyncio.timeout(timeout_s):
            return await _read(request)
    except TimeoutError:
        return None


async def _read(request: web.Request) -> bytes | None:
    payload = request.content
    body = bytearray()
    while True:
        try:
            chunk = await payload.readany()
        except OSError:  # the connection is gone; what it delivered may be whole
            if not payload.is_eof():
                return None
            body += _arrived(payload)
            chunk = b""
        else:
            body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY_BYTES, actual_size=len(body))
        if not chunk:
            return bytes(body)


def _arrived(payload: StreamReader) -> bytes:
    """What arrived and was not read yet, from a payload aiohttp has failed. There is no
    public way to it: the pinned aiohttp keeps it in `_buffer`, whole chunks only, since
    `readany` never leaves a chunk half read."""
    return b"".join(payload._buffer)


class BodyError(TradeburstError, ValueError):
    """A body refused, with the HTTP status to answer and a message naming the fault."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def decode_body(raw: bytes, content_type: str | None, kind: type[T]) -> T:
    """`raw` decoded as `kind`; an empty body is an empty object, so a missing field is
    named. Raises `BodyError`."""
    if not raw:
        raw = b"{}"
    elif not _is_json(content_type):
        raise BodyError(
            415, f"send the body as JSON with Content-Type: application/json, not {content_type!r}"
        )
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"invalid body: not UTF-8 at byte {exc.start}") from None
    decoder = _DECODERS.get(kind)
    if decoder is None:
        decoder = _DECODERS[kind] = BodyDecoder(kind)
    try:
        return decoder.decode(raw)  # type: ignore[no-any-return]
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise BodyError(400, f"invalid body: {exc}") from None
    except RecursionError:
        raise BodyError(400, "invalid body: nested too deeply") from None


_DECODERS: dict[type[Any], BodyDecoder[Any]] = {}
"""A decoder per body type, built once: the routes' few types."""


def _is_json(content_type: str | None) -> bool:
    """`application/json`, with no charset or UTF-8's."""
    if content_type is None:
        return False
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        return False
    charset = parameters.strip().lower().removeprefix("charset=").strip('"')
    return not parameters.strip() or charset in ("utf-8", "utf8")
