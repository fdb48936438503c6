"""Reading a request's body the way a server on the other side of a network does: bytes
that reached the exchange are the request, whether or not their sender is still there.

aiohttp fails a request's payload as soon as its connection is lost, even when every byte
of the body had already arrived, so a handler that reads after the client left would drop
a request a real broker carries out. `read_body` gives the body whenever it arrived whole,
and None only when the client left before it did.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.streams import StreamReader

__all__ = ["MAX_BODY_BYTES", "read_body"]

MAX_BODY_BYTES = 1024 * 1024
"""Thirty orders take a few kilobytes; anything near this is abuse."""


async def read_body(request: web.Request) -> bytes | None:
    """The whole body, or None if the client left before sending all of it. Raises
    `HTTPRequestEntityTooLarge` past `MAX_BODY_BYTES` and `RequestPayloadError` for a body
    that does not decode (a broken chunked or compressed encoding)."""
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
