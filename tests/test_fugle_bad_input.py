"""Bad input to Fugle's protocol on the rehearsal exchange: frames that are not JSON
objects, impossible subscriptions, frames before authentication, binary, deeply nested
and oversized frames, a client that never authenticates, too many subscriptions, fuzzed
frames and fuzzed REST paths. Each gets an error in Fugle's shape (or, past the size
bound or the authentication deadline, a closed socket), never a 500 or a dead server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote as url_quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeburst.exchange import Exchange

from _fugle_support import rest_base, ws_base
from _support import KEY_A, Api, place, receive

Socket = aiohttp.ClientWebSocketResponse
STREAMING = "/v1.0/stock/streaming"
SUBSCRIBE = {"event": "subscribe", "data": {"channel": "trades", "symbol": "2891"}}


@pytest.fixture
async def stream(session: aiohttp.ClientSession, exchange: Exchange) -> AsyncIterator[Socket]:
    """An authenticated raw connection to the streaming endpoint."""
    async with session.ws_connect(ws_base(exchange) + STREAMING) as socket:
        await socket.send_json({"event": "auth", "data": {"apikey": KEY_A}})
        assert (await receive(socket))["event"] == "authenticated"
        yield socket


async def _still_serves(socket: Socket) -> None:
    await socket.send_json(SUBSCRIBE)
    assert (await receive(socket))["event"] == "subscribed"


BAD_FRAMES = [
    pytest.param("not json", id="not-json"),
    pytest.param("[1, 2]", id="json-array"),
    pytest.param('{"event": "subscribe"}', id="no-data"),
    pytest.param('{"event": "dance", "data": {}}', id="unknown-event"),
    pytest.param('{"event": "subscribe", "data": {"channel": "gossip", "symbol": "2891"}}'),
    pytest.param('{"event": "subscribe", "data": {"channel": "trades", "symbol": 2891}}'),
    pytest.param('{"event": "subscribe", "data": {"channel": "trades", "symbols": "2891"}}'),
    pytest.param('{"event": "subscribe", "data": {"channel": "trades"}}', id="no-symbol"),
    pytest.param(
        '{"event": "subscribe", "data": {"channel": "trades", "symbol": "2891",'
        ' "intradayOddLot": true}}',
        id="odd-lot",
    ),
    pytest.param('{"event": "unsubscribe", "data": {"id": "nope"}}', id="unknown-id"),
    pytest.param('{"event": "unsubscribe", "data": {"ids": [1]}}', id="ids-not-strings"),
    pytest.param("[" * 20_000, id="deeply-nested"),
]


@pytest.mark.parametrize("frame", BAD_FRAMES)
async def test_a_bad_frame_gets_an_error_and_the_connection_stays(
    stream: Socket, frame: str
) -> None:
    """An error event with a code and a message; a subscribe still works after it."""
    await stream.send_str(frame)
    error = await receive(stream)
    assert error["event"] == "error"
    assert isinstance(error["data"]["code"], int)
    assert error["data"]["message"]
    await _still_serves(stream)


async def test_a_binary_frame_gets_an_error(stream: Socket) -> None:
    """Frames are text JSON: a binary one is answered with an error event."""
    await stream.send_bytes(b"\x00\x01")
    assert (await receive(stream))["event"] == "error"
    await _still_serves(stream)


async def test_nothing_is_served_before_authentication(
    session: aiohttp.ClientSession, exchange: Exchange
) -> None:
    """A subscribe before `auth` gets an error; `auth` after it still authenticates."""
    async with session.ws_connect(ws_base(exchange) + STREAMING) as socket:
        await socket.send_json(SUBSCRIBE)
        assert (await receive(socket))["event"] == "error"
        await socket.send_json({"event": "auth", "data": {"token": KEY_A}})
        assert (await receive(socket))["event"] == "authenticated"


async def test_a_wrong_key_is_answered_then_the_socket_closes(
    session: aiohttp.ClientSession, exchange: Exchange
) -> None:
    """Fugle's exact refusal, without a code, then a closed socket."""
    async with session.ws_connect(ws_base(exchange) + STREAMING) as socket:
        await socket.send_json({"event": "auth", "data": {"apikey": "wrong"}})
        refusal = await receive(socket)
        closing = await socket.receive(timeout=2)
    assert refusal == {"event": "error", "data": {"message": "Invalid authentication credentials"}}
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_a_client_that_never_authenticates_is_closed(
    session: aiohttp.ClientSession, exchange: Exchange
) -> None:
    """Past the authentication deadline: an error event, then a closed socket."""
    exchange.api.fugle.auth_timeout_s = 0.05
    async with session.ws_connect(ws_base(exchange) + STREAMING) as socket:
        assert (await receive(socket))["event"] == "error"
        closing = await socket.receive(timeout=2)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_an_oversized_frame_closes_only_that_socket(stream: Socket, api: Api) -> None:
    """A frame over the size bound closes its socket; the exchange goes on serving."""
    await stream.send_str("x" * 200_000)
    message = await stream.receive(timeout=2)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert (await place(api, price="40.00"))["status"] == 10


async def test_a_subscription_list_is_capped(stream: Socket) -> None:
    """More than 200 symbols in one subscribe is refused whole, with a 429-coded error."""
    symbols = ["2891"] * 201
    await stream.send_json(
        {"event": "subscribe", "data": {"channel": "trades", "symbols": symbols}}
    )
    error = await receive(stream)
    assert (error["event"], error["data"]["code"]) == ("error", 429)
    await stream.send_json({"event": "subscriptions"})
    assert (await receive(stream))["data"] == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(["channel", "symbol", "symbols", "id", "ids", "state", "apikey"])
FRAMES = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {
            "event": st.sampled_from(["auth", "subscribe", "unsubscribe", "subscriptions", "ping"])
            | JSON,
            "data": st.dictionaries(FIELDS, JSON | st.sampled_from(["trades", "2891"]), max_size=3)
            | JSON,
        }
    ),
)


async def test_fuzzed_frames_never_break_the_connection(stream: Socket) -> None:
    """Whatever JSON comes, the connection answers and still answers a ping after it."""
    loop = asyncio.get_running_loop()

    async def send(frame: Any) -> None:
        await stream.send_str(json.dumps(frame))
        await stream.send_json({"event": "ping", "data": {"state": "after"}})
        while True:
            answer = await receive(stream)
            if answer["event"] == "pong" and answer["data"].get("state") == "after":
                return

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(frame=FRAMES)
    def probe(frame: Any) -> None:
        asyncio.run_coroutine_threadsafe(send(frame), loop).result()

    await asyncio.to_thread(probe)


SEGMENTS = st.text(min_size=0, max_size=12)


async def test_fuzzed_rest_paths_are_answered_in_fugles_shape(
    session: aiohttp.ClientSession, exchange: Exchange
) -> None:
    """Any path under /marketdata, with any query, is answered below 500 with
    {"statusCode", "message"} unless it is a good intraday call."""
    loop = asyncio.get_running_loop()
    base = rest_base(exchange)

    async def get(path: str, query: dict[str, str], method: str) -> None:
        async with session.request(
            method, base + path, params=query, headers={"X-API-KEY": KEY_A}
        ) as response:
            body = await response.json(content_type=None)
        assert response.status < 500, (path, query)
        if response.status != 200:
            assert body["statusCode"] == response.status, (path, query, body)

    views = st.sampled_from(["quote", "ticker", "trades", "candles", "volumes"]) | SEGMENTS
    paths = st.one_of(
        st.builds(
            lambda view, symbol: (
                f"/v1.0/stock/intraday/{url_quote(view, safe='')}/" + url_quote(symbol, safe="")
            ),
            views,
            st.sampled_from(["2891", "2330"]) | SEGMENTS,
        ),
        st.lists(SEGMENTS, max_size=4).map(
            lambda parts: "/" + "/".join(url_quote(p, safe="") for p in parts)
        ),
    )
    queries = st.dictionaries(
        st.sampled_from(["limit", "offset", "isTrial", "timeframe", "type", "x"]),
        SEGMENTS,
        max_size=3,
    )

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        path=paths, query=queries, method=st.sampled_from(["GET", "GET", "GET", "POST", "DELETE"])
    )
    def probe(path: str, query: dict[str, str], method: str) -> None:
        asyncio.run_coroutine_threadsafe(get(path, query, method), loop).result()

    await asyncio.to_thread(probe)
