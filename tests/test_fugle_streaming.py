"""Fugle's streaming protocol on the rehearsal exchange, driven by the unmodified
`fugle_marketdata` WebSocket client: authentication and its refusal text, `trades` and
`books` data for a subscribed symbol when the exchange trades, trial matches and the
opening print flagged as Fugle flags them, subscription management, and the heartbeat."""

from __future__ import annotations

import aiohttp
import pytest

from tradeburst.exchange import Exchange

from _fugle_support import data_of, event_is, streaming
from _support import KEY_A, Api, StartExchange, clock_at, move_to, place, receive


async def _trade(api: Api, price: str = "40.60") -> None:
    await place(api, side="Sell", price=price, quantity=2000)
    await place(api, side="Buy", price=price, quantity=2000)


async def test_a_wrong_key_is_refused_with_fugles_text(exchange: Exchange) -> None:
    """connect() raises the client's own error for Fugle's exact refusal text."""
    with pytest.raises(Exception) as raised:  # the client raises a bare Exception
        async with streaming(exchange, api_key="not-a-key"):
            pass
    assert type(raised.value) is Exception
    assert str(raised.value) == "Invalid authentication credentials"


@pytest.mark.parametrize("credential", ["api_key", "bearer_token", "sdk_token"])
async def test_every_credential_kind_authenticates(exchange: Exchange, credential: str) -> None:
    """apikey, token and sdkToken each carry an API key; each gets `authenticated`."""
    async with streaming(exchange, **{credential: KEY_A}) as (_, inbox):
        frame = await inbox.next_where(event_is("authenticated"))
    assert frame["data"] == {"message": "Authenticated successfully"}


async def test_trades_and_books_arrive_for_a_subscribed_symbol(
    exchange: Exchange, api: Api
) -> None:
    """A crossing pair placed through the API reaches the client as a `trades` frame with
    Fugle's fields (JSON numbers, lots, µs) and `books` frames with the book's levels."""
    async with streaming(exchange, api_key=KEY_A) as (stock, inbox):
        stock.subscribe({"channel": "trades", "symbol": "2891"})
        stock.subscribe({"channel": "books", "symbol": "2891"})
        acked = await inbox.next_where(event_is("subscribed"))
        assert acked["data"]["channel"] == "trades"
        assert acked["data"]["symbol"] == "2891"
        await inbox.next_where(data_of("books"))  # the snapshot on subscribing
        await place(api, side="Buy", price="40.55", quantity=3000)
        await _trade(api)
        trade = await inbox.next_where(data_of("trades"))
        books = await inbox.next_where(
            lambda f: data_of("books")(f) and f["data"]["bids"][:1] == [{"price": 40.55, "size": 3}]
        )
    assert trade["id"] == acked["data"]["id"]
    data = trade["data"]
    assert data["symbol"] == "2891"
    assert (data["type"], data["exchange"], data["market"]) == ("EQUITY", "TWSE", "TSE")
    assert (data["price"], data["size"], data["volume"], data["serial"]) == (40.6, 2, 2, 1)
    assert data["bid"] == 40.55 and data["ask"] == 40.6
    assert isinstance(data["time"], int) and data["time"] > 10**15  # microseconds
    assert "isTrial" not in data and "isOpen" not in data and "isClose" not in data
    assert books["data"]["asks"] == []
    assert len(books["data"]["bids"]) <= 5


async def test_both_feeds_carry_the_same_print(
    exchange: Exchange, api: Api, session: aiohttp.ClientSession
) -> None:
    """/v1/marketdata and Fugle's stream report one trade with the same price, size (in
    shares and in lots) and time: both read the market's one print."""
    headers = {"Authorization": f"Bearer {KEY_A}"}
    async with (
        session.ws_connect(exchange.url + "/v1/marketdata", headers=headers) as own,
        streaming(exchange, api_key=KEY_A) as (stock, inbox),
    ):
        await own.send_json({"event": "subscribe", "data": {"channel": "trades", "symbol": "2891"}})
        stock.subscribe({"channel": "trades", "symbol": "2891"})
        await inbox.next_where(event_is("subscribed"))
        while (await receive(own))["event"] != "snapshot":
            pass
        await _trade(api)
        ours = (await receive(own))["data"]
        fugle = (await inbox.next_where(data_of("trades")))["data"]
    assert (ours["price"], ours["size"], ours["time"]) == ("40.60", 2000, fugle["time"])
    assert (fugle["price"], fugle["size"]) == (40.6, 2)


async def test_candles_and_aggregates_follow_the_prints(exchange: Exchange, api: Api) -> None:
    """The `candles` channel sends the print's one-minute bar, `aggregates` the quote."""
    async with streaming(exchange, api_key=KEY_A) as (stock, inbox):
        stock.subscribe({"channel": "candles", "symbol": "2891"})
        stock.subscribe({"channel": "aggregates", "symbol": "2891"})
        await inbox.next_where(data_of("aggregates"))  # the snapshot on subscribing
        await _trade(api)
        candle = await inbox.next_where(data_of("candles"))
        quote = await inbox.next_where(
            lambda f: data_of("aggregates")(f) and "lastPrice" in f["data"]
        )
    bar = candle["data"]
    assert (bar["open"], bar["close"], bar["volume"], bar["average"]) == (40.6, 40.6, 2, 40.6)
    assert bar["symbol"] == "2891" and bar["date"].endswith("+08:00")
    assert (quote["data"]["lastPrice"], quote["data"]["total"]["tradeVolume"]) == (40.6, 2)


async def test_trial_matches_and_the_opening_print_are_flagged(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """Before 09:00 crossed orders give `isTrial` trades frames; the opening auction's
    print comes flagged `isOpen`."""
    clock = clock_at(8, 59)
    exchange = await start_exchange(always_open=False, clock=clock)
    api = Api(session, exchange.url, KEY_A)
    async with streaming(exchange, api_key=KEY_A) as (stock, inbox):
        stock.subscribe({"channel": "trades", "symbol": "2891"})
        await inbox.next_where(event_is("subscribed"))
        await _trade(api)
        trial = await inbox.next_where(data_of("trades"))
        move_to(clock, 9, 0, 1)
        status, _ = await api.get("/v1/quotes/2891")  # any request runs the due auction
        assert status == 200
        opening = await inbox.next_where(
            lambda f: data_of("trades")(f) and "isTrial" not in f["data"]
        )
    assert trial["data"]["isTrial"] is True
    assert (trial["data"]["price"], trial["data"]["size"]) == (40.6, 2)
    assert opening["data"]["isOpen"] is True
    assert (opening["data"]["price"], opening["data"]["volume"]) == (40.6, 2)


async def test_symbols_subscriptions_and_unsubscribe(exchange: Exchange) -> None:
    """`symbols` subscribes each with its own id (a list answers), `subscriptions` lists
    them, `unsubscribe` by `ids` removes them."""
    async with streaming(exchange, api_key=KEY_A) as (stock, inbox):
        stock.subscribe({"channel": "trades", "symbols": ["2891", "2330"]})
        acked = await inbox.next_where(event_is("subscribed"))
        stock.subscriptions()
        listed = await inbox.next_where(event_is("subscriptions"))
        stock.unsubscribe({"ids": [entry["id"] for entry in acked["data"]]})
        removed = await inbox.next_where(event_is("unsubscribed"))
        stock.subscriptions()
        after = await inbox.next_where(event_is("subscriptions"))
    assert [e["symbol"] for e in acked["data"]] == ["2891", "2330"]
    assert len({e["id"] for e in acked["data"]}) == 2
    assert sorted(listed["data"], key=lambda e: e["id"]) == sorted(
        acked["data"], key=lambda e: e["id"]
    )
    assert removed["data"] == acked["data"]
    assert after["data"] == []


async def test_ping_is_answered_with_pong_and_its_state(exchange: Exchange) -> None:
    """ping carries a state; pong returns it with the exchange time in µs."""
    async with streaming(exchange, api_key=KEY_A) as (stock, inbox):
        stock.ping("hello")
        pong = await inbox.next_where(event_is("pong"))
    assert pong["data"]["state"] == "hello"
    assert isinstance(pong["data"]["time"], int)


async def test_the_heartbeat_comes_on_its_interval(exchange: Exchange) -> None:
    """With the interval shortened, the client receives `heartbeat` frames with a time."""
    exchange.api.fugle.heartbeat_s = 0.05
    async with streaming(exchange, api_key=KEY_A) as (_, inbox):
        first = await inbox.next_where(event_is("heartbeat"))
        second = await inbox.next_where(event_is("heartbeat"))
    assert second["data"]["time"] > first["data"]["time"] > 0


async def test_unknown_channels_and_symbols_get_error_frames(exchange: Exchange) -> None:
    """An unknown channel or an unlisted symbol is an `error` event; the connection stays."""
    async with streaming(exchange, api_key=KEY_A) as (stock, inbox):
        stock.subscribe({"channel": "gossip", "symbol": "2891"})
        channel_error = await inbox.next_where(event_is("error"))
        stock.subscribe({"channel": "trades", "symbol": "9999"})
        symbol_error = await inbox.next_where(event_is("error"))
        stock.ping("")
        await inbox.next_where(event_is("pong"))
    assert channel_error["data"]["code"] == 400
    assert "channel" in channel_error["data"]["message"]
    assert symbol_error["data"]["code"] == 404
    assert "9999" in symbol_error["data"]["message"]
