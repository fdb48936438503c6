"""Fugle's intraday REST API on the rehearsal exchange, called through the unmodified
`fugle_marketdata` REST client: quote, ticker, trades, candles and volumes of a symbol
after the exchange traded, both ways of authenticating, and Fugle's error shape for a
wrong key, an unlisted symbol, a bad parameter and an unknown path (never a 500)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from fugle_marketdata import FugleAPIError, RestClient

from tradeburst.exchange import Exchange

from _fugle_support import rest_base
from _support import KEY_A, Api, place


async def _trade(api: Api, price: str, quantity: int = 1000) -> None:
    await place(api, side="Sell", price=price, quantity=quantity)
    await place(api, side="Buy", price=price, quantity=quantity)


async def _call(exchange: Exchange, view: str, credential: str = "api_key", **params: Any) -> Any:
    """One intraday call through the real client, off the event loop (it blocks)."""
    intraday = RestClient(base_url=rest_base(exchange), **{credential: KEY_A}).stock.intraday
    return await asyncio.to_thread(getattr(intraday, view), symbol="2891", **params)


@pytest.fixture
async def traded(exchange: Exchange, api: Api) -> Exchange:
    """2891 traded 1 lot at 40.60, then 2 at 40.70, with a bid resting at 40.50."""
    await place(api, side="Buy", price="40.50", quantity=3000)
    await _trade(api, "40.60")
    await _trade(api, "40.70", 2000)
    return exchange


async def test_quote_gives_prices_totals_and_the_book(traded: Exchange) -> None:
    """The quote carries Fugle's names: open/high/low/close/last, totals in lots and TWD,
    the last trade, and five-level bids and asks."""
    quote = await _call(traded, "quote")
    assert (quote["symbol"], quote["type"], quote["exchange"]) == ("2891", "EQUITY", "TWSE")
    assert (quote["openPrice"], quote["highPrice"], quote["lowPrice"]) == (40.6, 40.7, 40.6)
    assert quote["closePrice"] == quote["lastPrice"] == 40.7
    assert quote["lastSize"] == 2
    assert quote["total"]["tradeVolume"] == 3
    assert quote["total"]["tradeValue"] == 40600 + 81400
    assert quote["total"]["transaction"] == 2
    assert quote["lastTrade"]["price"] == 40.7
    assert quote["bids"] == [{"price": 40.5, "size": 3}]
    assert quote["asks"] == []
    assert quote["referencePrice"] == quote["previousClose"]
    assert quote["isContinuous"] is True


async def test_quote_numbers_are_json_numbers(
    traded: Exchange, session: aiohttp.ClientSession
) -> None:
    """Prices go out as JSON numbers with the book's exact digits, not strings."""
    headers = {"X-API-KEY": KEY_A}
    url = rest_base(traded) + "/v1.0/stock/intraday/quote/2891"
    async with session.get(url, headers=headers) as response:
        text = await response.text()
    assert '"lastPrice":40.70' in text


async def test_ticker_gives_the_reference_and_limits(traded: Exchange) -> None:
    """The ticker carries the symbol's name, reference price and daily limits."""
    ticker = await _call(traded, "ticker")
    assert ticker["symbol"] == "2891"
    assert ticker["limitDownPrice"] < ticker["referencePrice"] < ticker["limitUpPrice"]
    assert ticker["boardLot"] == 1000


async def test_trades_come_newest_first_with_paging(traded: Exchange) -> None:
    """Trades list newest first with bid, ask, price, size, volume, time and serial;
    `limit` and `offset` page through them."""
    trades = await _call(traded, "trades")
    rows = trades["data"]
    assert [(r["price"], r["size"], r["volume"], r["serial"]) for r in rows] == [
        (40.7, 2, 3, 2),
        (40.6, 1, 1, 1),
    ]
    assert rows[1]["bid"] == 40.5 and rows[1]["ask"] == 40.6
    paged = await _call(traded, "trades", limit=1, offset=1)
    assert [r["serial"] for r in paged["data"]] == [1]


async def test_candles_and_volumes_sum_the_prints(traded: Exchange) -> None:
    """One-minute candles and volume at price account for every lot traded."""
    candles = await _call(traded, "candles", timeframe="5")
    volumes = await _call(traded, "volumes")
    assert candles["timeframe"] == "5"
    bars = candles["data"]
    assert sum(bar["volume"] for bar in bars) == 3
    assert bars[0]["open"] == 40.6 and bars[-1]["close"] == 40.7
    assert bars[0]["date"].endswith("+08:00")
    assert [(v["price"], v["volume"], v["volumeAtAsk"]) for v in volumes["data"]] == [
        (40.7, 2, 2),
        (40.6, 1, 1),
    ]


async def test_a_bearer_token_authenticates(traded: Exchange) -> None:
    """`Authorization: Bearer KEY` (the client's bearer_token) is taken as well."""
    quote = await _call(traded, "quote", credential="bearer_token")
    assert quote["symbol"] == "2891"


async def test_a_wrong_key_gets_401_in_fugles_shape(exchange: Exchange) -> None:
    """A wrong key: HTTP 401 and {"statusCode", "message"}, which the client raises."""
    intraday = RestClient(base_url=rest_base(exchange), api_key="wrong").stock.intraday
    with pytest.raises(FugleAPIError) as raised:
        await asyncio.to_thread(intraday.quote, symbol="2891")
    assert raised.value.status_code == 401
    assert raised.value.message == "Unauthorized"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1.0/stock/intraday/quote/9999", 404),
        ("/v1.0/stock/intraday/gossip/2891", 404),
        ("/v1.0/stock/intraday/trades/2891?limit=0", 400),
        ("/v1.0/stock/intraday/trades/2891?limit=" + "9" * 40, 400),
        ("/v1.0/stock/intraday/trades/2891?isTrial=maybe", 400),
        ("/v1.0/stock/intraday/candles/2891?timeframe=7", 400),
        ("/v1.0/stock/intraday/quote/2891?type=oddlot", 400),
        ("/v1.0/stock/snapshot/quotes/TSE", 404),
        ("/v9/whatever", 404),
    ],
)
async def test_bad_requests_get_fugles_error_shape(
    exchange: Exchange, session: aiohttp.ClientSession, path: str, status: int
) -> None:
    """Unlisted symbols, unknown views and paths, and bad parameters: Fugle's shape."""
    async with session.get(rest_base(exchange) + path, headers={"X-API-KEY": KEY_A}) as response:
        body = await response.json()
    assert response.status == status
    assert body["statusCode"] == status
    assert isinstance(body["message"], str) and body["message"]
