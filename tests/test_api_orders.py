"""Order entry over real HTTP: place, batch, cancel, modify, the account's results and
fills, quotes, symbols and the clock; and market-rule rejections, which are answers
(HTTP 200, `is_success` false) rather than HTTP errors."""

from __future__ import annotations

from typing import Any

import pytest

from tradeburst.exchange import Exchange

from _support import (
    KEY_A,
    Api,
    StartExchange,
    admin_orders,
    clock_at,
    order,
    orders_of,
    place,
    quote,
    record_of,
)

ACCEPTED, MODIFY_PRICE_FAILED, MODIFY_QUANTITY_FAILED = 10, 19, 29
CANCELLED, CANCEL_FAILED, PARTLY_FILLED_CANCELLED, FILLED, FAILED = 30, 39, 40, 50, 90


# -- placing ------------------------------------------------------------------------------


async def test_a_placed_order_is_in_the_accounts_results(api: Api) -> None:
    """An accepted order comes back from GET /v1/orders with its order number and price."""
    placed = await place(api, price="40.50", user_def="P1")
    [listed] = await orders_of(api)
    assert listed["order_no"] == placed["order_no"]
    assert listed["status"] == ACCEPTED
    assert listed["after_price"] == "40.50"
    assert listed["after_qty"] == 1000


async def test_a_crossing_order_trades_at_the_resting_price(api: Api) -> None:
    """A buy above a resting sell fills completely at the sell's price."""
    sell = await place(api, side="Sell", price="40.60")
    buy = await place(api, side="Buy", price="40.80")
    assert buy["status"] == FILLED
    assert buy["filled_qty"] == 1000
    assert buy["filled_money"] == 40_600
    assert (await record_of(api, sell["order_no"]))["status"] == FILLED


async def test_order_numbers_are_unique(api: Api) -> None:
    """Every accepted order gets its own order number."""
    numbers = [(await place(api, price="40.00"))["order_no"] for _ in range(20)]
    assert len(set(numbers)) == 20


async def test_an_ioc_order_drops_what_does_not_fill_at_once(api: Api) -> None:
    """IOC takes what rests and cancels the rest (status 40, partly filled)."""
    await place(api, side="Sell", price="40.60", quantity=1000)
    ioc = await place(api, side="Buy", price="40.60", quantity=3000, time_in_force="IOC")
    assert ioc["status"] == PARTLY_FILLED_CANCELLED
    assert ioc["filled_qty"] == 1000
    assert (await quote(api))["bids"] == []


async def test_a_fok_order_that_cannot_fill_completely_trades_nothing(api: Api) -> None:
    """FOK for more than rests is cancelled whole, and the resting order is untouched."""
    await place(api, side="Sell", price="40.60", quantity=1000)
    fok = await place(api, side="Buy", price="40.60", quantity=2000, time_in_force="FOK")
    assert fok["status"] == CANCELLED
    assert fok["filled_qty"] == 0
    assert (await quote(api))["asks"] == [{"price": "40.60", "size": 1000}]


async def test_a_market_buy_takes_the_best_asks(api: Api) -> None:
    """A market buy sweeps asks in price order until it is filled."""
    await place(api, side="Sell", price="40.70", quantity=1000)
    await place(api, side="Sell", price="40.60", quantity=1000)
    market = await place(api, side="Buy", price=None, quantity=2000, price_type="Market")
    assert market["status"] == FILLED
    assert market["filled_money"] == 40_600 + 40_700


# -- batches ------------------------------------------------------------------------------


async def test_a_batch_of_30_places_every_order(api: Api) -> None:
    """A batch of the maximum 30 orders answers 30 accepted records."""
    batch = [order(price="40.00", user_def=f"B{i}") for i in range(30)]
    status, body = await api.post("/v1/orders/batch", {"orders": batch})
    assert status == 200, body
    assert [r["status"] for r in body["data"]] == [ACCEPTED] * 30
    assert len(await orders_of(api)) == 30


async def test_a_batch_of_31_is_refused_and_places_nothing(api: Api, admin: Api) -> None:
    """One order over the batch maximum is a 400, and no order of it is placed."""
    batch = [order(price="40.00") for _ in range(31)]
    status, body = await api.post("/v1/orders/batch", {"orders": batch})
    assert status == 400
    assert body["is_success"] is False
    assert await admin_orders(admin) == []


async def test_a_batch_with_one_impossible_order_places_nothing(api: Api, admin: Api) -> None:
    """A limit order without a price anywhere in the batch refuses the whole batch."""
    batch = [order(price="40.00"), order(price=None), order(price="40.00")]
    status, body = await api.post("/v1/orders/batch", {"orders": batch})
    assert status == 400
    assert "orders[1]" in body["message"]
    assert await admin_orders(admin) == []


async def test_a_batch_answers_market_rejections_per_order(api: Api) -> None:
    """An off-tick price fails its own order (status 90) and not its neighbours."""
    batch = [order(price="40.00"), order(price="40.01"), order(price="40.05")]
    status, body = await api.post("/v1/orders/batch", {"orders": batch})
    assert status == 200
    assert [r["status"] for r in body["data"]] == [ACCEPTED, FAILED, ACCEPTED]


# -- cancel -------------------------------------------------------------------------------


async def test_cancel_takes_a_resting_order_out_of_the_book(api: Api) -> None:
    """A cancelled order has status 30 and its bid is gone from the quote."""
    placed = await place(api, price="40.50")
    status, body = await api.post(f"/v1/orders/{placed['order_no']}/cancel")
    assert status == 200
    assert body["data"]["status"] == CANCELLED
    assert (await quote(api))["bids"] == []


async def test_cancel_of_a_filled_order_is_refused(api: Api) -> None:
    """A filled order cannot be cancelled: is_success false with status 39."""
    await place(api, side="Sell", price="40.60")
    buy = await place(api, side="Buy", price="40.60")
    status, body = await api.post(f"/v1/orders/{buy['order_no']}/cancel")
    assert status == 200
    assert body["is_success"] is False
    assert body["data"]["status"] == CANCEL_FAILED
    assert (await record_of(api, buy["order_no"]))["status"] == FILLED


async def test_cancel_of_an_unknown_order_is_404(api: Api) -> None:
    """An order number the exchange never gave is 404."""
    status, body = await api.post("/v1/orders/ZZZZZ/cancel")
    assert status == 404
    assert body["is_success"] is False


async def test_cancel_after_a_partial_fill_keeps_the_filled_part(api: Api) -> None:
    """Cancelling a partly filled order gives status 40 and keeps its filled quantity."""
    buy = await place(api, side="Buy", price="40.60", quantity=3000)
    await place(api, side="Sell", price="40.60", quantity=1000)
    status, body = await api.post(f"/v1/orders/{buy['order_no']}/cancel")
    assert status == 200
    assert body["data"]["status"] == PARTLY_FILLED_CANCELLED
    assert body["data"]["filled_qty"] == 1000


# -- modify price -------------------------------------------------------------------------


async def _modify_price(api: Api, order_no: str, **body: Any) -> tuple[int, Any]:
    return await api.post(f"/v1/orders/{order_no}/modify-price", body)


async def _modify_quantity(api: Api, order_no: str, quantity: int) -> tuple[int, Any]:
    return await api.post(f"/v1/orders/{order_no}/modify-quantity", {"quantity": quantity})


async def test_modify_price_changes_the_working_price(api: Api) -> None:
    """A repriced order works at the new price, shown in the quote."""
    placed = await place(api, price="40.50")
    status, body = await _modify_price(api, placed["order_no"], price="40.45")
    assert status == 200
    assert body["is_success"] is True
    assert body["data"]["after_price"] == "40.45"
    assert body["data"]["before_price"] == "40.50"
    assert (await quote(api))["bids"] == [{"price": "40.45", "size": 1000}]


async def test_modify_price_loses_the_queue_place(api: Api) -> None:
    """Repriced away and back, the first order queues behind one that was second."""
    first = await place(api, price="40.50")
    second = await place(api, price="40.50")
    await _modify_price(api, first["order_no"], price="40.45")
    await _modify_price(api, first["order_no"], price="40.50")
    await place(api, side="Sell", price="40.50")
    assert (await record_of(api, second["order_no"]))["status"] == FILLED
    assert (await record_of(api, first["order_no"]))["filled_qty"] == 0


async def test_modify_price_to_a_crossing_price_trades(api: Api) -> None:
    """A buy repriced up to a resting ask fills at once."""
    await place(api, side="Sell", price="40.60")
    buy = await place(api, side="Buy", price="40.50")
    status, body = await _modify_price(api, buy["order_no"], price="40.60")
    assert status == 200
    assert body["data"]["status"] == FILLED


async def test_modify_price_to_the_same_price_is_refused(api: Api) -> None:
    """Repricing to the current price is a refusal with status 19, not a no-op success."""
    placed = await place(api, price="40.50")
    status, body = await _modify_price(api, placed["order_no"], price="40.50")
    assert status == 200
    assert body["is_success"] is False
    assert body["data"]["status"] == MODIFY_PRICE_FAILED
    assert "current price" in body["message"]


async def test_a_market_order_cannot_be_repriced(api: Api) -> None:
    """A resting market order refuses a new price (status 19) and keeps working."""
    market = await place(api, side="Buy", price=None, price_type="Market")
    assert market["status"] == ACCEPTED
    status, body = await _modify_price(api, market["order_no"], price="40.60")
    assert status == 200
    assert body["is_success"] is False
    assert body["data"]["status"] == MODIFY_PRICE_FAILED
    assert (await record_of(api, market["order_no"]))["status"] == ACCEPTED


async def test_a_limit_order_cannot_be_made_a_market_order(api: Api) -> None:
    """price_type Market on modify-price is refused with status 19."""
    placed = await place(api, price="40.50")
    status, body = await _modify_price(api, placed["order_no"], price_type="Market")
    assert status == 200
    assert body["is_success"] is False
    assert body["data"]["status"] == MODIFY_PRICE_FAILED


async def test_modify_price_off_the_tick_ladder_is_refused(api: Api) -> None:
    """A new price off the ladder is refused with status 19 and the order keeps its price."""
    placed = await place(api, price="40.50")
    _, body = await _modify_price(api, placed["order_no"], price="40.52")
    assert body["is_success"] is False
    assert body["data"]["status"] == MODIFY_PRICE_FAILED
    assert (await record_of(api, placed["order_no"]))["after_price"] == "40.50"


async def test_modify_price_to_limit_up_uses_the_days_limit(api: Api) -> None:
    """price_type LimitUp reprices to the symbol's limit-up price."""
    placed = await place(api, side="Sell", price="41.00")
    status, body = await _modify_price(api, placed["order_no"], price_type="LimitUp")
    assert status == 200
    assert body["data"]["after_price"] == "44.65"


async def test_modify_price_with_both_price_and_price_type_is_400(api: Api) -> None:
    """Exactly one of price and price_type: both together is a malformed request."""
    placed = await place(api, price="40.50")
    status, _ = await _modify_price(api, placed["order_no"], price="40.45", price_type="LimitUp")
    assert status == 400


# -- modify quantity ----------------------------------------------------------------------


async def test_modify_quantity_reduces_and_keeps_the_queue_place(api: Api) -> None:
    """A reduced order stays ahead of a later order at its price."""
    first = await place(api, price="40.50", quantity=3000)
    second = await place(api, price="40.50", quantity=1000)
    status, body = await _modify_quantity(api, first["order_no"], 1000)
    assert status == 200
    assert body["data"]["after_qty"] == 1000
    await place(api, side="Sell", price="40.50", quantity=1000)
    assert (await record_of(api, first["order_no"]))["status"] == FILLED
    assert (await record_of(api, second["order_no"]))["filled_qty"] == 0


@pytest.mark.parametrize("quantity", [1000, 2000], ids=["same", "larger"])
async def test_modify_quantity_cannot_increase(api: Api, quantity: int) -> None:
    """Only a reduction is allowed: the same or a larger size is refused with status 29."""
    placed = await place(api, price="40.50", quantity=1000)
    status, body = await _modify_quantity(api, placed["order_no"], quantity)
    assert status == 200
    assert body["is_success"] is False
    assert body["data"]["status"] == MODIFY_QUANTITY_FAILED
    assert (await record_of(api, placed["order_no"]))["after_qty"] == 1000


async def test_modify_quantity_keeps_whole_lots(api: Api) -> None:
    """Reducing a board-lot order to 1500 shares is refused with status 29."""
    placed = await place(api, price="40.50", quantity=2000)
    _, body = await _modify_quantity(api, placed["order_no"], 1500)
    assert body["is_success"] is False
    assert body["data"]["status"] == MODIFY_QUANTITY_FAILED


async def test_modify_quantity_counts_the_filled_part(api: Api) -> None:
    """A 3-lot order with 1 lot filled reduced to 2 lots leaves 1 lot in the book."""
    buy = await place(api, price="40.60", quantity=3000)
    await place(api, side="Sell", price="40.60", quantity=1000)
    status, body = await _modify_quantity(api, buy["order_no"], 2000)
    assert status == 200
    assert body["data"]["after_qty"] == 2000
    assert (await quote(api))["bids"] == [{"price": "40.60", "size": 1000}]


async def test_modify_quantity_below_the_filled_part_is_refused(api: Api) -> None:
    """A size smaller than what has already filled is refused with status 29."""
    buy = await place(api, price="40.60", quantity=3000)
    await place(api, side="Sell", price="40.60", quantity=2000)
    _, body = await _modify_quantity(api, buy["order_no"], 1000)
    assert body["is_success"] is False
    assert body["data"]["status"] == MODIFY_QUANTITY_FAILED


# -- the account's results and fills ------------------------------------------------------


async def test_order_results_filter_by_user_def(api: Api) -> None:
    """GET /v1/orders?user_def=X answers only the orders tagged X."""
    a1 = await place(api, price="40.00", user_def="A1")
    await place(api, price="40.00", user_def="A2")
    a1_again = await place(api, price="40.05", user_def="A1")
    await place(api, price="40.10")
    tagged = await orders_of(api, "A1")
    assert [r["order_no"] for r in tagged] == [a1["order_no"], a1_again["order_no"]]


async def test_an_unused_user_def_finds_nothing(api: Api) -> None:
    """A tag no order carries answers an empty list, not an error."""
    await place(api, price="40.00", user_def="A1")
    assert await orders_of(api, "NOPE") == []


async def test_fills_list_each_execution_of_the_account(api: Api) -> None:
    """Both sides of a trade appear in GET /v1/fills with price, size and order number."""
    sell = await place(api, side="Sell", price="40.60", quantity=2000, user_def="S")
    buy = await place(api, side="Buy", price="40.60", quantity=2000, user_def="B")
    status, body = await api.get("/v1/fills")
    assert status == 200
    fills = {f["order_no"]: f for f in body["data"]}
    assert set(fills) == {sell["order_no"], buy["order_no"]}
    assert fills[buy["order_no"]]["filled_price"] == "40.60"
    assert fills[buy["order_no"]]["filled_qty"] == 2000
    assert fills[buy["order_no"]]["user_def"] == "B"


async def test_fill_numbers_are_unique(api: Api) -> None:
    """Each fill record has its own filled_no."""
    for _ in range(5):
        await place(api, side="Sell", price="40.60")
        await place(api, side="Buy", price="40.60")
    _, body = await api.get("/v1/fills")
    numbers = [f["filled_no"] for f in body["data"]]
    assert len(numbers) == 10
    assert len(set(numbers)) == 10


# -- market information -------------------------------------------------------------------


async def test_quote_shows_depth_last_price_and_volume(api: Api) -> None:
    """The quote carries both sides' levels, the last trade price and the day's volume."""
    await place(api, side="Buy", price="40.50", quantity=2000)
    await place(api, side="Buy", price="40.45", quantity=1000)
    await place(api, side="Sell", price="40.70", quantity=3000)
    await place(api, side="Sell", price="40.70", quantity=1000)
    await place(api, side="Buy", price="40.70", quantity=1000)
    data = await quote(api)
    assert data["bids"] == [{"price": "40.50", "size": 2000}, {"price": "40.45", "size": 1000}]
    assert data["asks"] == [{"price": "40.70", "size": 3000}]
    assert data["last_price"] == "40.70"
    assert data["total_volume"] == 1000
    assert data["phase"] == "continuous"


async def test_quote_of_an_unlisted_symbol_is_404(api: Api) -> None:
    """A quote for a code the exchange does not list is 404."""
    status, body = await api.get("/v1/quotes/9999")
    assert status == 404
    assert "9999" in body["message"]


async def test_symbols_list_2891_with_its_reference_and_limits(api: Api) -> None:
    """2891 is listed with reference 40.60, limit-up 44.65 and limit-down 36.55."""
    status, body = await api.get("/v1/symbols")
    assert status == 200
    listed = {s["symbol"]: s for s in body["data"]}
    assert listed["2891"]["reference_price"] == "40.60"
    assert listed["2891"]["limitup_price"] == "44.65"
    assert listed["2891"]["limitdown_price"] == "36.55"


async def test_time_answers_the_exchange_clock(start_exchange: StartExchange, session: Any) -> None:
    """/v1/time reports the exchange clock, not the machine's."""
    clock = clock_at(10, 0)
    exchange = await start_exchange(clock=clock)
    status, body = await _api(session, exchange).get("/v1/time")
    assert status == 200
    assert body == {"exchange_time_ns": clock.now_ns(), "tz": "Asia/Taipei"}


def _api(session: Any, exchange: Exchange) -> Api:
    return Api(session, exchange.url, KEY_A)


# -- rejections by market rules -----------------------------------------------------------


REJECTIONS = [
    pytest.param(order(price="40.61"), "tick", id="off-tick"),
    pytest.param(order(price="44.70"), "outside today's limits", id="above-limit-up"),
    pytest.param(order(price="36.50"), "outside today's limits", id="below-limit-down"),
    pytest.param(order(quantity=1500), "1000-share lots", id="not-whole-lots"),
    pytest.param(order(quantity=500_000), "maximum", id="over-499-lots"),
    pytest.param(order(symbol="9999"), "not listed", id="unknown-symbol"),
    pytest.param(order(market_type="Odd"), "Common", id="odd-lot-board"),
]


@pytest.mark.parametrize(("body", "reason"), REJECTIONS)
async def test_a_market_rule_rejection_is_an_answer(
    api: Api, body: dict[str, Any], reason: str
) -> None:
    """A rule-breaking order is HTTP 200, is_success false, status 90, with the reason."""
    status, answer = await api.post("/v1/orders", body)
    assert status == 200
    assert answer["is_success"] is False
    assert reason in answer["message"]
    assert answer["data"]["status"] == FAILED
    assert answer["data"]["order_no"] is None


@pytest.mark.parametrize("price", ["44.65", "36.55"], ids=["limit-up", "limit-down"])
async def test_the_limit_prices_themselves_are_accepted(api: Api, price: str) -> None:
    """The limits are inclusive: an order at exactly 44.65 or 36.55 is accepted."""
    assert (await place(api, price=price))["status"] == ACCEPTED


async def test_a_rejected_order_is_not_in_the_book(api: Api) -> None:
    """A rejected buy leaves no bid behind."""
    await api.post("/v1/orders", order(price="40.61"))
    assert (await quote(api))["bids"] == []


PRE_OPEN_REFUSALS = [
    pytest.param(order(price=None, price_type="Market"), id="market"),
    pytest.param(order(time_in_force="IOC"), id="IOC"),
    pytest.param(order(time_in_force="FOK"), id="FOK"),
]


@pytest.fixture
async def pre_open_api(start_exchange: StartExchange, session: Any) -> Api:
    exchange = await start_exchange(always_open=False, clock=clock_at(8, 45))
    return _api(session, exchange)


@pytest.mark.parametrize("body", PRE_OPEN_REFUSALS)
async def test_the_pre_open_refuses_market_ioc_and_fok(
    pre_open_api: Api, body: dict[str, Any]
) -> None:
    """Before 09:00 only limit ROD orders are taken; the others fail with the phase named."""
    status, answer = await pre_open_api.post("/v1/orders", body)
    assert status == 200
    assert answer["is_success"] is False
    assert answer["data"]["status"] == FAILED
    assert "pre_open" in answer["message"]


async def test_the_pre_open_takes_limit_rod_orders(pre_open_api: Api) -> None:
    """A limit ROD order in the pre-open is accepted."""
    assert (await place(pre_open_api, price="40.60"))["status"] == ACCEPTED


async def test_a_long_user_def_is_cut_to_ten_with_a_warning(api: Api) -> None:
    """As the Fubon SDK does, an 11-character tag is cut to 10 and the order still goes."""
    status, body = await api.post("/v1/orders", order(price="40.00", user_def="ABCDEFGHIJK"))
    assert status == 200
    assert body["is_success"] is True
    assert body["data"]["user_def"] == "ABCDEFGHIJ"
    assert "自訂欄位長度超過10位元" in body["message"]


@pytest.mark.parametrize("user_def", ["bad-chars!", "中信", ""])
async def test_a_user_def_with_other_characters_is_cleared_with_a_warning(
    api: Api, user_def: str
) -> None:
    """As the Fubon SDK does, a tag with other characters is cleared and the order still goes."""
    status, body = await api.post("/v1/orders", order(price="40.00", user_def=user_def))
    assert status == 200
    assert body["is_success"] is True
    assert body["data"]["user_def"] is None
    assert "自訂欄位包含無效字元" in body["message"]


async def test_a_batch_reports_which_user_defs_were_changed(api: Api) -> None:
    """A batch answer names the orders whose tags the SDK rules changed."""
    batch = [order(price="40.00", user_def="OK1"), order(price="40.00", user_def="NOT-OK")]
    status, body = await api.post("/v1/orders/batch", {"orders": batch})
    assert status == 200
    assert [r["user_def"] for r in body["data"]] == ["OK1", None]
    assert body["message"].startswith("orders[1]: ")


async def test_a_resting_market_order_trades_at_its_converted_price(api: Api, api_b: Api) -> None:
    """A market sell into an empty bid side rests at the last trade price, not at
    limit-down, so a later buy fills there (Art. 58-8)."""
    await place(api, side="Buy", price="40.80")
    await place(api_b, side="Sell", price="40.80")  # last trade 40.80
    market = await place(api_b, side="Sell", price=None, price_type="Market")
    assert market["status"] == 10
    assert market["after_price"] == "40.80"
    buy = await place(api, side="Buy", price="41.25")
    assert (buy["filled_qty"], buy["filled_money"]) == (1000, 40800)


async def test_a_cancel_leaves_the_filled_part_in_effect(api: Api, api_b: Api) -> None:
    """after_qty of a cancelled, partly filled order is what filled (Fubon's effective
    quantity), and before_qty what it was."""
    bid = await place(api, side="Buy", price="40.60", quantity=5000)
    await place(api_b, side="Sell", price="40.60", quantity=2000)
    status, body = await api.post(f"/v1/orders/{bid['order_no']}/cancel")
    assert status == 200
    cancelled = body["data"]
    assert (cancelled["status"], cancelled["before_qty"], cancelled["after_qty"]) == (
        40,
        5000,
        2000,
    )
