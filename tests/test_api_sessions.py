"""The trading day over real HTTP with a manual clock: the pre-open collects orders, the
opening auction at 09:00 uncrosses them at one price, the closing call at 13:25 refuses
market orders and drops resting ones, the closing auction at 13:30 runs, and outside
08:30-13:30 nothing is taken. The market catches up with the clock on each request."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tradeburst.exchange import ManualClock

from _support import (
    KEY_A,
    Api,
    StartExchange,
    clock_at,
    later,
    move_to,
    order,
    orders_of,
    place,
    quote,
    record_of,
)

ACCEPTED, CANCELLED, CANCEL_FAILED, FILLED, FAILED = 10, 30, 39, 50, 90


@pytest.fixture
def clock() -> ManualClock:
    return clock_at(8, 59)


@pytest.fixture
async def day_api(
    start_exchange: StartExchange, session: aiohttp.ClientSession, clock: ManualClock
) -> Api:
    """Account A on an exchange that keeps the real timetable, at 08:59 on the test day."""
    exchange = await start_exchange(always_open=False, clock=clock)
    return Api(session, exchange.url, KEY_A)


async def _fills(api: Api) -> list[dict[str, Any]]:
    status, body = await api.get("/v1/fills")
    assert status == 200
    fills: list[dict[str, Any]] = body["data"]
    return fills


async def test_orders_before_0830_are_refused(start_exchange: StartExchange, session: Any) -> None:
    """At 08:00 the market is closed: a limit order fails with status 90."""
    exchange = await start_exchange(always_open=False, clock=clock_at(8, 0))
    status, body = await Api(session, exchange.url, KEY_A).post("/v1/orders", order())
    assert status == 200
    assert body["is_success"] is False
    assert body["data"]["status"] == FAILED
    assert "closed" in body["message"]


async def test_pre_open_orders_rest_without_matching(day_api: Api) -> None:
    """Crossing orders in the pre-open both rest, unfilled, and the book shows both."""
    buy = await place(day_api, side="Buy", price="40.70")
    sell = await place(day_api, side="Sell", price="40.50")
    assert (buy["status"], sell["status"]) == (ACCEPTED, ACCEPTED)
    data = await quote(day_api)
    assert data["phase"] == "pre_open"
    assert data["bids"] == [{"price": "40.70", "size": 1000}]
    assert data["asks"] == [{"price": "40.50", "size": 1000}]
    assert await _fills(day_api) == []


async def test_the_opening_auction_fills_crossing_orders_at_one_price(
    day_api: Api, clock: ManualClock
) -> None:
    """After 09:00, crossing pre-open orders have filled, every fill at the same price."""
    await place(day_api, side="Buy", price="40.80", quantity=2000)
    await place(day_api, side="Buy", price="40.70", quantity=1000)
    await place(day_api, side="Sell", price="40.50", quantity=1000)
    await place(day_api, side="Sell", price="40.60", quantity=2000)
    move_to(clock, 9, 0, 1)
    assert {r["status"] for r in await orders_of(day_api)} == {FILLED}
    assert {f["filled_price"] for f in await _fills(day_api)} == {"40.60"}


async def test_the_opening_price_nearest_the_reference_wins(
    day_api: Api, clock: ManualClock
) -> None:
    """With 40.50-40.70 all clearing the same volume, the auction picks the reference 40.60."""
    await place(day_api, side="Buy", price="40.70")
    await place(day_api, side="Sell", price="40.50")
    move_to(clock, 9, 1)
    data = await quote(day_api)
    assert data["last_price"] == "40.60"
    assert data["total_volume"] == 1000


async def test_the_opening_auction_leaves_the_uncrossed_rest_resting(
    day_api: Api, clock: ManualClock
) -> None:
    """Orders that do not cross at the open stay in the book after it."""
    await place(day_api, side="Buy", price="40.40")
    await place(day_api, side="Sell", price="40.80")
    move_to(clock, 9, 1)
    data = await quote(day_api)
    assert data["bids"] == [{"price": "40.40", "size": 1000}]
    assert data["asks"] == [{"price": "40.80", "size": 1000}]
    assert data["total_volume"] == 0


async def test_after_the_open_orders_match_on_arrival(day_api: Api, clock: ManualClock) -> None:
    """In continuous trading a crossing order fills at once."""
    move_to(clock, 10, 0)
    await place(day_api, side="Sell", price="40.60")
    assert (await place(day_api, side="Buy", price="40.60"))["status"] == FILLED


async def test_the_closing_call_refuses_market_orders(day_api: Api, clock: ManualClock) -> None:
    """At 13:26 a market order fails with status 90."""
    move_to(clock, 13, 26)
    status, body = await day_api.post("/v1/orders", order(price=None, price_type="Market"))
    assert status == 200
    assert body["is_success"] is False
    assert body["data"]["status"] == FAILED
    assert "closing_call" in body["message"]


async def test_the_closing_call_drops_resting_market_orders(
    day_api: Api, clock: ManualClock
) -> None:
    """A market order resting at 13:25 is cancelled when the closing call starts."""
    move_to(clock, 13, 0)
    market = await place(day_api, side="Buy", price=None, price_type="Market")
    assert market["status"] == ACCEPTED
    move_to(clock, 13, 25, 1)
    assert (await record_of(day_api, market["order_no"]))["status"] == CANCELLED


async def test_the_closing_call_collects_without_matching(day_api: Api, clock: ManualClock) -> None:
    """Crossing limit orders at 13:27 both rest unfilled."""
    move_to(clock, 13, 27)
    await place(day_api, side="Buy", price="40.70")
    await place(day_api, side="Sell", price="40.50")
    assert {r["status"] for r in await orders_of(day_api)} == {ACCEPTED}
    assert (await quote(day_api))["phase"] == "closing_call"


async def test_the_closing_auction_fills_at_one_price(day_api: Api, clock: ManualClock) -> None:
    """After 13:30 the closing-call orders have filled, all at one price."""
    move_to(clock, 13, 27)
    await place(day_api, side="Buy", price="40.80", quantity=2000)
    await place(day_api, side="Sell", price="40.50", quantity=1000)
    await place(day_api, side="Sell", price="40.70", quantity=1000)
    move_to(clock, 13, 30, 1)
    assert {r["status"] for r in await orders_of(day_api)} == {FILLED}
    assert {f["filled_price"] for f in await _fills(day_api)} == {"40.70"}


async def test_the_closing_auction_anchors_on_the_last_trade(
    day_api: Api, clock: ManualClock
) -> None:
    """With a day's last trade at 40.50, the close prices at 40.50 among equal volumes."""
    move_to(clock, 10, 0)
    await place(day_api, side="Sell", price="40.50")
    await place(day_api, side="Buy", price="40.50")
    move_to(clock, 13, 27)
    await place(day_api, side="Buy", price="40.70")
    await place(day_api, side="Sell", price="40.40")
    move_to(clock, 13, 31)
    assert (await quote(day_api))["last_price"] == "40.50"


async def test_after_1330_orders_are_refused(day_api: Api, clock: ManualClock) -> None:
    """At 13:31 the market is closed: an order fails with status 90."""
    move_to(clock, 13, 31)
    status, body = await day_api.post("/v1/orders", order())
    assert status == 200
    assert body["is_success"] is False
    assert body["data"]["status"] == FAILED
    assert "closed" in body["message"]


async def test_after_1330_cancel_is_refused(day_api: Api, clock: ManualClock) -> None:
    """An order left over from the close cannot be cancelled once the market is closed."""
    move_to(clock, 13, 0)
    placed = await place(day_api, side="Buy", price="40.00")
    move_to(clock, 13, 45)
    status, body = await day_api.post(f"/v1/orders/{placed['order_no']}/cancel")
    assert status == 200
    assert body["is_success"] is False
    assert body["data"]["status"] == CANCEL_FAILED


async def test_a_jump_across_the_whole_day_runs_both_auctions(
    day_api: Api, clock: ManualClock
) -> None:
    """One request after 13:30 catches up on the open and the close in order."""
    await place(day_api, side="Buy", price="40.70")
    await place(day_api, side="Sell", price="40.50")
    move_to(clock, 14, 0)
    assert {r["status"] for r in await orders_of(day_api)} == {FILLED}
    assert len(await _fills(day_api)) == 2


async def test_a_new_day_starts_with_empty_books_and_results(
    day_api: Api, clock: ManualClock
) -> None:
    """Day orders end with their day: the next morning shows no orders, fills or depth."""
    await place(day_api, side="Buy", price="40.00")
    later(clock, 24 * 3600 - 60 * 25)  # 08:34 the next day
    assert await orders_of(day_api) == []
    assert await _fills(day_api) == []
    book = await quote(day_api)
    assert (book["bids"], book["asks"], book["total_volume"]) == ([], [], 0)
    accepted = await place(day_api, side="Sell", price="40.00")
    assert accepted["status"] == ACCEPTED
    assert accepted["filled_qty"] == 0
