"""The WebSocket streams over a real server: /v1/stream pushes the account's own order and
fill events; /v1/marketdata answers subscriptions with a snapshot stamped with a `seq`
that later messages continue one by one, and answers bad frames with an error event
without closing the socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tradeburst.exchange import Exchange

from _support import KEY_A, Api, place, receive

Socket = aiohttp.ClientWebSocketResponse
AUTH = {"Authorization": f"Bearer {KEY_A}"}


@pytest.fixture
async def stream(session: aiohttp.ClientSession, exchange: Exchange) -> AsyncIterator[Socket]:
    """Account A's event stream, known to be subscribed before the test places anything."""
    async with session.ws_connect(exchange.url + "/v1/stream", headers=AUTH) as socket:
        assert (await receive(socket))["event"] == "subscribed"
        yield socket


@pytest.fixture
async def feed(session: aiohttp.ClientSession, exchange: Exchange) -> AsyncIterator[Socket]:
    async with session.ws_connect(exchange.url + "/v1/marketdata", headers=AUTH) as socket:
        yield socket


async def _subscribe(socket: Socket, channel: str, symbol: str = "2891") -> dict[str, Any]:
    """Subscribe; the snapshot message (after checking the acknowledgement came too)."""
    await socket.send_json({"event": "subscribe", "data": {"channel": channel, "symbol": symbol}})
    first, second = await receive(socket), await receive(socket)
    by_event = {first["event"]: first, second["event"]: second}
    assert set(by_event) == {"subscribed", "snapshot"}, (first, second)
    assert by_event["subscribed"]["data"] == {"channel": channel, "symbol": symbol}
    return by_event["snapshot"]


async def _trade(api: Api, price: str = "40.60", quantity: int = 1000) -> None:
    await place(api, side="Sell", price=price, quantity=quantity)
    await place(api, side="Buy", price=price, quantity=quantity)


# -- the account stream -------------------------------------------------------------------


async def test_the_account_stream_pushes_an_order_event(stream: Socket, api: Api) -> None:
    """Placing an order pushes an `order` event with its order number and status."""
    placed = await place(api, price="40.00", user_def="WS1")
    event = await receive(stream)
    assert event["event"] == "order"
    assert event["data"]["order_no"] == placed["order_no"]
    assert event["data"]["status"] == 10


async def test_the_account_stream_pushes_filled_events(stream: Socket, api: Api) -> None:
    """A trade between the account's own orders pushes a `filled` event for each side."""
    sell = await place(api, side="Sell", price="40.60", quantity=2000)
    buy = await place(api, side="Buy", price="40.60", quantity=2000)
    events = [await receive(stream) for _ in range(6)]
    fills = [e["data"] for e in events if e["event"] == "filled"]
    assert {f["order_no"] for f in fills} == {sell["order_no"], buy["order_no"]}
    assert {(f["filled_qty"], f["filled_price"]) for f in fills} == {(2000, "40.60")}


async def test_the_account_stream_pushes_a_cancel(stream: Socket, api: Api) -> None:
    """Cancelling pushes an `order` event with status 30."""
    placed = await place(api, price="40.00")
    await receive(stream)
    await api.post(f"/v1/orders/{placed['order_no']}/cancel")
    event = await receive(stream)
    assert (event["event"], event["data"]["status"]) == ("order", 30)


async def test_the_account_stream_needs_a_key(
    session: aiohttp.ClientSession, exchange: Exchange
) -> None:
    """Connecting to /v1/stream without a key is refused with 401."""
    with pytest.raises(aiohttp.WSServerHandshakeError, match="401") as refused:
        await session.ws_connect(exchange.url + "/v1/stream")
    assert refused.value.status == 401


# -- market data --------------------------------------------------------------------------


async def test_a_trades_subscription_starts_with_a_snapshot_and_seq(feed: Socket) -> None:
    """Subscribing to trades answers `subscribed` and a `snapshot` carrying an integer seq."""
    snapshot = await _subscribe(feed, "trades")
    assert snapshot["channel"] == "trades"
    assert snapshot["symbol"] == "2891"
    assert isinstance(snapshot["seq"], int)


async def test_trade_messages_count_up_by_one(feed: Socket, api: Api) -> None:
    """Five trades after the snapshot arrive as data messages seq+1 … seq+5."""
    snapshot = await _subscribe(feed, "trades")
    for _ in range(5):
        await _trade(api)
    messages = [await receive(feed) for _ in range(5)]
    assert [m["event"] for m in messages] == ["data"] * 5
    assert [m["seq"] for m in messages] == [snapshot["seq"] + n for n in range(1, 6)]


async def test_a_trade_message_carries_price_size_and_volume(feed: Socket, api: Api) -> None:
    """The trade data has the price, the size and the day's running volume."""
    await _subscribe(feed, "trades")
    await _trade(api, quantity=2000)
    await _trade(api, quantity=1000)
    first, second = await receive(feed), await receive(feed)
    assert (first["data"]["price"], first["data"]["size"], first["data"]["volume"]) == (
        "40.60",
        2000,
        2000,
    )
    assert second["data"]["volume"] == 3000


async def test_the_trades_snapshot_is_the_last_trade(feed: Socket, api: Api) -> None:
    """Subscribing after trades, the snapshot holds the latest trade and its seq."""
    await _trade(api, price="40.50")
    await _trade(api, price="40.70")
    snapshot = await _subscribe(feed, "trades")
    assert snapshot["data"]["price"] == "40.70"
    assert snapshot["seq"] == 2


async def test_seq_lets_a_client_count_what_it_missed(
    session: aiohttp.ClientSession, exchange: Exchange, api: Api
) -> None:
    """Across a reconnect, the new snapshot's seq is the old last seq plus the trades missed."""
    url = exchange.url + "/v1/marketdata"
    async with session.ws_connect(url, headers=AUTH) as first:
        await _subscribe(first, "trades")
        await _trade(api)
        last_seen = (await receive(first))["seq"]
    for _ in range(3):
        await _trade(api)
    async with session.ws_connect(url, headers=AUTH) as second:
        assert (await _subscribe(second, "trades"))["seq"] == last_seen + 3


async def test_a_books_snapshot_has_bids_and_asks(feed: Socket, api: Api) -> None:
    """The books snapshot shows the resting levels of both sides."""
    await place(api, side="Buy", price="40.50", quantity=2000)
    await place(api, side="Sell", price="40.70", quantity=1000)
    snapshot = await _subscribe(feed, "books")
    assert snapshot["data"]["bids"] == [{"price": "40.50", "size": 2000}]
    assert snapshot["data"]["asks"] == [{"price": "40.70", "size": 1000}]


async def test_book_updates_continue_the_snapshot_seq(feed: Socket, api: Api) -> None:
    """After the books snapshot, a new order's update is seq+1 and shows the order."""
    snapshot = await _subscribe(feed, "books")
    await place(api, side="Buy", price="40.50")
    update = await receive(feed)
    assert update["event"] == "data"
    assert update["seq"] == snapshot["seq"] + 1
    assert update["data"]["bids"] == [{"price": "40.50", "size": 1000}]


async def test_a_subscription_hears_only_its_symbol(feed: Socket, api: Api) -> None:
    """A trade in 2330 does not reach a 2891 trades subscriber; the next 2891 trade does."""
    snapshot = await _subscribe(feed, "trades", "2891")
    await place(api, symbol="2330", side="Sell", price="1050")
    await place(api, symbol="2330", side="Buy", price="1050")
    await _trade(api)
    message = await receive(feed)
    assert message["symbol"] == "2891"
    assert message["seq"] == snapshot["seq"] + 1


async def test_unsubscribe_stops_the_messages(feed: Socket, api: Api) -> None:
    """After `unsubscribed`, a trade sends nothing: the next message is the reply to a frame."""
    await _subscribe(feed, "trades")
    await feed.send_json({"event": "unsubscribe", "data": {"channel": "trades", "symbol": "2891"}})
    assert (await receive(feed))["event"] == "unsubscribed"
    await _trade(api)
    await feed.send_str("not json")
    assert (await receive(feed))["event"] == "error"


BAD_FRAMES = [
    pytest.param("not json", id="not-json"),
    pytest.param("[1, 2]", id="json-array"),
    pytest.param('{"event": "subscribe"}', id="no-data"),
    pytest.param('{"event": "dance", "data": {}}', id="unknown-event"),
    pytest.param(
        '{"event": "subscribe", "data": {"channel": "candles", "symbol": "2891"}}',
        id="unknown-channel",
    ),
    pytest.param(
        '{"event": "subscribe", "data": {"channel": "trades", "symbol": "9999"}}',
        id="unlisted-symbol",
    ),
    pytest.param(
        '{"event": "subscribe", "data": {"channel": "trades", "symbol": 2891}}',
        id="symbol-not-a-string",
    ),
    pytest.param(
        '{"event": "unsubscribe", "data": {"channel": "trades", "symbol": "2891"}}',
        id="unsubscribe-without-subscription",
    ),
]


@pytest.mark.parametrize("frame", BAD_FRAMES)
async def test_a_bad_frame_gets_an_error_and_the_socket_stays_open(
    feed: Socket, frame: str
) -> None:
    """A malformed or impossible frame gets an `error` event; a subscribe still works after."""
    await feed.send_str(frame)
    error = await receive(feed)
    assert error["event"] == "error"
    assert error["data"]["message"]
    assert (await _subscribe(feed, "trades"))["symbol"] == "2891"


async def test_the_acknowledgement_comes_before_the_snapshot(feed: Socket) -> None:
    """As on Fubon's feed, `subscribed` is the first answer and the snapshot follows it."""
    await feed.send_json({"event": "subscribe", "data": {"channel": "trades", "symbol": "2891"}})
    assert [(await receive(feed))["event"] for _ in range(2)] == ["subscribed", "snapshot"]


async def test_account_events_are_numbered_one_by_one(
    session: aiohttp.ClientSession, exchange: Exchange, api: Api
) -> None:
    """Account events carry a seq that grows by one; a new subscriber hears the last one."""
    await place(api, price="40.00")
    async with session.ws_connect(exchange.url + "/v1/stream", headers=AUTH) as socket:
        hello = await receive(socket)
        assert (hello["event"], hello["seq"]) == ("subscribed", 1)
        assert hello["epoch"] > 0
        await place(api, price="40.00")
        await place(api, price="40.05")
        numbers = [(await receive(socket))["seq"] for _ in range(2)]
        assert numbers == [2, 3]


async def test_the_account_stream_answers_frames_with_an_error_and_stays_open(
    stream: Socket, api: Api
) -> None:
    """The account stream takes no frames: it says so and keeps streaming."""
    await stream.send_str("hello")
    assert (await receive(stream))["event"] == "error"
    await place(api, price="40.00")
    assert (await receive(stream))["event"] == "order"


async def test_a_binary_frame_on_the_market_data_feed_is_answered_with_an_error(
    feed: Socket,
) -> None:
    """A binary frame gets an error event saying frames are text, and the feed still
    takes a subscription after it."""
    await feed.send_bytes(b'{"event": "subscribe"}')
    answer = await receive(feed)
    assert answer["event"] == "error"
    assert "binary" in answer["data"]["message"]
    await feed.send_json({"event": "subscribe", "data": {"channel": "trades", "symbol": "2891"}})
    assert (await receive(feed))["event"] == "subscribed"


async def test_a_binary_frame_on_the_account_stream_is_answered_with_an_error(
    stream: Socket,
) -> None:
    """The account stream answers a binary frame as the market data feed does."""
    await stream.send_bytes(b"\x00\x01")
    answer = await receive(stream)
    assert answer["event"] == "error"
    assert "binary" in answer["data"]["message"]


async def test_a_deeply_nested_frame_is_an_error_not_a_closed_socket(feed: Socket) -> None:
    """A frame nested past the decoder's depth gets an error event; the socket stays open."""
    await feed.send_str("[" * 20_000)
    assert (await receive(feed))["event"] == "error"
    await feed.send_json({"event": "subscribe", "data": {"channel": "books", "symbol": "2891"}})
    assert (await receive(feed))["event"] == "subscribed"


async def test_an_oversized_frame_closes_only_that_socket(
    session: aiohttp.ClientSession, exchange: Exchange, api: Api
) -> None:
    """A frame over the size limit closes its socket; the exchange goes on serving."""
    async with session.ws_connect(exchange.url + "/v1/marketdata", headers=AUTH) as socket:
        await socket.send_str("x" * 200_000)
        message = await socket.receive(timeout=2)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert (await place(api, price="40.00"))["status"] == 10
