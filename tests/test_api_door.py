"""The exchange's door over real sockets: idle and slow clients cannot hold connections
(slowloris): a source is refused past its connection cap, a connection that does not
finish its headers in time is closed, so is a request whose body does not come, and the
exchange keeps serving everyone else throughout."""

from __future__ import annotations

import asyncio
import contextlib
import json
from urllib.parse import urlsplit

from tradeburst.exchange import DoorLimits, Exchange

from _support import KEY_A, Api, StartExchange, order, place

WAIT_S = 20.0
"""Bound on waiting for something that must happen; never slept through."""

SHORT = DoorLimits(header_timeout_s=0.5, body_timeout_s=0.5, connections_per_source=16)


async def _connect(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return await asyncio.open_connection(parts.hostname, parts.port)


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """True once the server has closed the connection (EOF or reset) within the bound."""
    with contextlib.suppress(ConnectionError):
        async with asyncio.timeout(WAIT_S):
            while await reader.read(4096):
                pass
    return reader.at_eof() or reader.exception() is not None


async def _until_open(exchange: Exchange, count: int) -> None:
    async with asyncio.timeout(WAIT_S):
        while exchange.connections_open != count:  # noqa: ASYNC110 - the server's count
            await asyncio.sleep(0.01)


async def test_idle_clients_past_the_cap_are_refused_and_the_rest_time_out(
    start_exchange: StartExchange, api: Api
) -> None:
    """200 idle clients from one address hold at most the cap of connections, every one
    is closed by the server (at once past the cap, after the header timeout within it),
    and an ordinary client is served afterwards."""
    exchange = await start_exchange(door=SHORT)
    clients = [await _connect(exchange.url) for _ in range(200)]
    assert exchange.connections_open <= SHORT.connections_per_source
    closed = await asyncio.gather(*(_closed_by_server(reader) for reader, _ in clients))
    assert all(closed)
    await _until_open(exchange, 0)
    for _, writer in clients:
        writer.close()
    own = Api(api.session, exchange.url, KEY_A)
    await place(own, price="40.00")


async def test_headers_sent_a_byte_at_a_time_are_cut_off(start_exchange: StartExchange) -> None:
    """A client dripping its headers is closed once the header timeout passes, though it
    keeps sending."""
    exchange = await start_exchange(door=SHORT)
    reader, writer = await _connect(exchange.url)
    closed = False
    async with asyncio.timeout(WAIT_S):
        for byte in b"GET /v1/time HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000:
            try:
                writer.write(bytes([byte]))
                await writer.drain()
            except ConnectionError:
                closed = True
                break
            if reader.at_eof():
                closed = True
                break
            await asyncio.sleep(0.01)
    assert closed or await _closed_by_server(reader)
    writer.close()


async def test_a_body_that_does_not_come_is_dropped_and_places_nothing(
    start_exchange: StartExchange, api: Api
) -> None:
    """Headers promising 1000 bytes of body followed by 10: the connection is closed
    after the body timeout and nothing is placed."""
    exchange = await start_exchange(door=SHORT)
    reader, writer = await _connect(exchange.url)
    body = json.dumps(order(price="40.00")).encode()
    writer.write(
        b"POST /v1/orders HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {KEY_A}\r\nContent-Type: application/json\r\n".encode()
        + f"Content-Length: {len(body) + 1000}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    assert await _closed_by_server(reader)
    writer.close()
    own = Api(api.session, exchange.url, KEY_A)
    status, answer = await own.get("/v1/orders")
    assert (status, answer["data"]) == (200, [])


async def test_a_client_within_the_cap_keeps_its_connection_across_requests(
    start_exchange: StartExchange, api: Api
) -> None:
    """The header timeout is for the first request only: a kept-alive connection that
    was used stays usable after the timeout has passed."""
    exchange = await start_exchange(door=SHORT)
    own = Api(api.session, exchange.url, KEY_A)
    await place(own, price="40.00")
    await asyncio.sleep(SHORT.header_timeout_s * 2)
    await place(own, price="40.00")
    assert exchange.connections_open == 1
