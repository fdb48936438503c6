"""The exchange stamps a request at its arrival on the socket (its first chunk), not when
its handler gets to run: the receive stamp (time priority), the stamp its rate limit counts
it by (`counted_ns`), with the modelled inbound trip added, and what happens to an order
stamped before the opening auction that reaches the market after it ran.

Requests are written by hand on raw connections, to choose how their bytes are cut into
chunks (and to pipeline them, which no client of ours does)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from tradeburst._platform import NAME
from tradeburst.clock import epoch_ns
from tradeburst.exchange import Exchange, NetworkModel

from _support import (
    ADMIN,
    KEY_A,
    KEY_B,
    RECEIVE_TIMEOUT_S,
    Api,
    StartExchange,
    admin_orders,
    clock_at,
    later,
    order,
    orders_of,
    place,
    quote,
    taipei,
)

HEAD_BOUND_S = 10 * RECEIVE_TIMEOUT_S
"""Bound on reading an answer that must come; it is never slept through."""


def _head(exchange: Exchange, body: bytes, *, key: str = KEY_A, expect: bool = False) -> bytes:
    """The head of a POST /v1/orders carrying `body`, asking for 100-continue if `expect`."""
    host = urlsplit(exchange.url).netloc
    lines = [
        "POST /v1/orders HTTP/1.1",
        f"Host: {host}",
        f"Authorization: Bearer {key}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(["Expect: 100-continue"] if expect else []),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _body(**fields: Any) -> bytes:
    return json.dumps(order(**fields)).encode()


async def _connect(exchange: Exchange) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(exchange.url)
    assert parts.hostname is not None and parts.port is not None
    return await asyncio.open_connection(parts.hostname, parts.port)


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, Any]]:
    """The next answer on the connection: its status and JSON body (after any 100)."""
    async with asyncio.timeout(HEAD_BOUND_S):
        while True:
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
            status = int(head.split(" ", 2)[1])
            if status != 100:
                break
        length = next(
            int(line.split(":", 1)[1])
            for line in head.split("\r\n")
            if line.lower().startswith("content-length:")
        )
        return status, json.loads(await reader.readexactly(length))


async def _continue(reader: asyncio.StreamReader) -> None:
    """Wait for the 100 Continue that says the exchange has read the request's head."""
    async with asyncio.timeout(HEAD_BOUND_S):
        head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 100"), head


async def _leave(writer: asyncio.StreamWriter) -> None:
    writer.close()
    await writer.wait_closed()


async def _received_ns(admin: Api) -> dict[str, int]:
    return {o["user_def"]: o["received_ns"] for o in await admin_orders(admin)}


async def test_pipelined_requests_in_one_chunk_share_its_arrival(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """Two requests that came in one chunk arrived together, so both carry that chunk's
    stamp, though the second is handled only once the first is answered (a stamp taken in
    the handler would set them apart: this also notices the socket's arrivals going
    unread)."""
    exchange = await start_exchange()
    first, second = _body(user_def="PIPE1"), _body(user_def="PIPE2")
    reader, writer = await _connect(exchange)
    writer.write(_head(exchange, first) + first + _head(exchange, second) + second)
    await writer.drain()
    assert (await _answer(reader))[0] == 200
    assert (await _answer(reader))[0] == 200
    await _leave(writer)
    stamps = await _received_ns(Api(session, exchange.url, ADMIN))
    assert stamps["PIPE1"] == stamps["PIPE2"]


async def test_a_request_is_stamped_at_its_first_chunk_and_not_at_its_body(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """A request whose body comes later is stamped when its head came; the next request
    on the connection is stamped at its own first chunk, not at the body that came after
    the previous one's head."""
    clock = clock_at(10, 0)
    exchange = await start_exchange(clock=clock)
    head_ns = clock.now_ns()
    body = _body(user_def="SLOW1")
    reader, writer = await _connect(exchange)
    writer.write(_head(exchange, body, expect=True))
    await writer.drain()
    await _continue(reader)
    later(clock, 1.0)
    writer.write(body)
    await writer.drain()
    assert (await _answer(reader))[0] == 200
    later(clock, 1.0)
    next_ns = clock.now_ns()
    following = _body(user_def="NEXT1")
    writer.write(_head(exchange, following) + following)
    await writer.drain()
    assert (await _answer(reader))[0] == 200
    await _leave(writer)
    stamps = await _received_ns(Api(session, exchange.url, ADMIN))
    assert stamps == {"SLOW1": head_ns, "NEXT1": next_ns}


async def test_the_rate_limit_counts_a_request_at_its_arrival(
    start_exchange: StartExchange,
) -> None:
    """The stamp an order's answer reports as counted is its arrival, which also decides
    its window: a request whose head came before the window passed is refused although it
    is handled after."""
    clock = clock_at(10, 0)
    exchange = await start_exchange(clock=clock, profile="fubon")
    body = _body(user_def="EDGE1")
    reader, writer = await _connect(exchange)
    for index in range(50):
        filler = _body(user_def=f"FILL{index}")
        writer.write(_head(exchange, filler) + filler)
        assert (await _answer(reader))[0] == 200
    later(clock, 0.5)
    arrived_ns = clock.now_ns()
    writer.write(_head(exchange, body, expect=True))
    await writer.drain()
    await _continue(reader)
    later(clock, 1.0)  # the first 50 are more than a window old now, not at its arrival
    writer.write(body)
    await writer.drain()
    status, answer = await _answer(reader)
    assert status == 429, answer
    following = _body(user_def="AFTER1")
    writer.write(_head(exchange, following) + following)
    status, answer = await _answer(reader)
    await _leave(writer)
    assert status == 200, answer
    assert answer["counted_ns"] == clock.now_ns() != arrived_ns


async def test_the_inbound_trip_is_added_to_the_arrival(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """With a modelled network, a request is stamped at its arrival plus the inbound
    share of the trip, both as received and as counted; on a manual clock, which real
    time does not move, that is its arrival."""
    clock = clock_at(10, 0)
    exchange = await start_exchange(clock=clock, network=NetworkModel(latency_ms=40.0))
    arrived_ns = clock.now_ns()
    api = Api(session, exchange.url, KEY_A)
    status, answer = await api.post("/v1/orders", order(user_def="TRIP1"))
    assert status == 200, answer
    assert answer["counted_ns"] == arrived_ns
    assert (await _received_ns(Api(session, exchange.url, ADMIN)))["TRIP1"] == arrived_ns


async def test_a_modelled_trip_stamps_later_than_the_bytes_came(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """On the real clock, the stamp is at least the inbound share after the send (the
    bytes cannot arrive before they are sent)."""
    exchange = await start_exchange(network=NetworkModel(latency_ms=60.0, inbound_share=0.5))
    api = Api(session, exchange.url, KEY_A)
    sent_ns = exchange.clock.now_ns()
    status, answer = await api.post("/v1/orders", order(user_def="TRIP2"))
    assert status == 200, answer
    assert answer["counted_ns"] >= sent_ns + 30_000_000


async def test_an_order_stamped_before_the_open_but_handled_after_the_auction_trades_on(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """An order whose bytes came before 09:00:00 but that reached the market after the
    opening auction ran missed the auction: it is entered in continuous trading, behind
    what the auction left, and keeps its receive stamp from before the open."""
    clock = clock_at(8, 59, 59)
    exchange = await start_exchange(clock=clock, always_open=False)
    seller, buyer = Api(session, exchange.url, KEY_A), Api(session, exchange.url, KEY_B)
    await place(seller, side="Sell", price="40.00", user_def="AUCS")
    await place(buyer, side="Buy", price="40.00", user_def="AUCB")
    await place(seller, side="Sell", price="40.50", user_def="RESTS")
    later(clock, 0.9)
    late_body = _body(side="Buy", price="40.50", user_def="LATEB")
    reader, writer = await _connect(exchange)
    writer.write(_head(exchange, late_body, key=KEY_B, expect=True))
    await writer.drain()
    await _continue(reader)
    later(clock, 1.1)  # 09:00:01: the auction runs before the late order's body comes
    assert (await quote(buyer))["phase"] != "pre_open"
    auction_ns = clock.now_ns()
    writer.write(late_body)
    await writer.drain()
    status, answer = await _answer(reader)
    await _leave(writer)
    assert status == 200, answer
    late = answer["data"]
    assert late["received_ns"] < epoch_ns(taipei(9, 0)) < auction_ns
    assert late["filled_qty"] == 1000
    by_tag = {r["user_def"]: r for r in await orders_of(buyer)}
    assert by_tag["AUCB"]["filled_qty"] == 1000  # the auction: 40.00 against 40.00
    fills = {f["user_def"]: f for f in (await buyer.get("/v1/fills"))[1]["data"]}
    assert fills["AUCB"]["filled_price"] == "40.00"
    assert fills["LATEB"]["filled_price"] == "40.50"  # the resting 40.50 sell, on arrival
    assert fills["LATEB"]["filled_ns"] == auction_ns


@pytest.mark.skipif(NAME != "linux", reason="only Linux's kernel says when bytes came")
async def test_bytes_that_waited_while_the_loop_was_busy_are_stamped_when_they_came(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """A request whose bytes sat in the kernel while the exchange's event loop was busy
    (here: blocked by the test, which shares it) is stamped when they came, as the kernel
    says, not when the loop read them; and never before they were sent."""
    exchange = await start_exchange()
    body = _body(user_def="BUSY1")
    reader, writer = await _connect(exchange)
    sent_ns = exchange.clock.now_ns()
    writer.write(_head(exchange, body) + body)
    await writer.drain()
    time.sleep(0.2)  # noqa: ASYNC251 - keeping the loop busy is the point
    read_after_ns = exchange.clock.now_ns()
    assert (await _answer(reader))[0] == 200
    await _leave(writer)
    stamp_ns = (await _received_ns(Api(session, exchange.url, ADMIN)))["BUSY1"]
    assert sent_ns <= stamp_ns < read_after_ns
