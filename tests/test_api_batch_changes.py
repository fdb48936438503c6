"""Batch changes on the exchange: up to 30 cancels, reprices or reductions in one call,
each answered on its own in order; a malformed change refuses the whole batch with nothing
changed; the call counts against the batch limit, not the orders limit."""

from __future__ import annotations

import aiohttp

from tradeburst.exchange import RATE_LIMIT_MESSAGE

from _support import KEY_A, Api, StartExchange, clock_at, place, record_of


async def test_a_batch_cancel_answers_each_change_in_order(api: Api) -> None:
    """Two orders cancelled, an unknown one refused in its place; the others unaffected."""
    first = await place(api, price="40.50")
    second = await place(api, price="40.55")
    body = {"order_nos": [first["order_no"], "ZZZZZ", second["order_no"]]}
    status, answer = await api.post("/v1/orders/batch-cancel", body)
    assert status == 200 and answer["is_success"] is True
    results = answer["data"]
    assert [r["is_success"] for r in results] == [True, False, True]
    assert [r["data"]["status"] for r in results] == [30, 39, 30]
    assert "ZZZZZ not found" in results[1]["message"]
    assert (await record_of(api, second["order_no"]))["status"] == 30


async def test_batch_reprices_and_reductions_are_made_or_refused_one_by_one(api: Api) -> None:
    """A reprice to the same price is refused (19) beside one that is made; a reduction
    takes, an increase is refused (29)."""
    one = await place(api, price="40.50", quantity=3000)
    two = await place(api, price="40.55", quantity=3000)
    changes = [
        {"order_no": one["order_no"], "price": "40.45"},
        {"order_no": two["order_no"], "price": "40.55"},
    ]
    _, answer = await api.post("/v1/orders/batch-modify-price", {"changes": changes})
    assert [(r["is_success"], r["data"]["status"]) for r in answer["data"]] == [
        (True, 10), (False, 19),
    ]  # fmt: skip
    assert answer["data"][0]["data"]["after_price"] == "40.45"
    changes = [
        {"order_no": one["order_no"], "quantity": 1000},
        {"order_no": two["order_no"], "quantity": 5000},
    ]
    _, answer = await api.post("/v1/orders/batch-modify-quantity", {"changes": changes})
    assert [(r["is_success"], r["data"]["status"]) for r in answer["data"]] == [
        (True, 10), (False, 29),
    ]  # fmt: skip
    assert (await record_of(api, one["order_no"]))["after_qty"] == 1000


async def test_a_malformed_change_refuses_the_whole_batch(api: Api) -> None:
    """Both price and price_type in one change, or 31 changes: 400, nothing changed."""
    placed = await place(api, price="40.50")
    no = placed["order_no"]
    bad = [
        {"order_no": no, "price": "40.45"},
        {"order_no": no, "price": "40.40", "price_type": "LimitUp"},
    ]
    status, answer = await api.post("/v1/orders/batch-modify-price", {"changes": bad})
    assert status == 400 and "exactly one of price and price_type" in answer["message"]
    status, _ = await api.post("/v1/orders/batch-cancel", {"order_nos": [no] * 31})
    assert status == 400
    assert (await record_of(api, no))["after_price"] == "40.50"


async def test_a_batch_change_counts_against_the_batch_limit(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """Fubon limits on a clock that stands still: the 11th batch call in the second is
    refused with Fubon's text, and single orders still pass."""
    exchange = await start_exchange(profile="fubon", clock=clock_at(10, 0))
    api = Api(session, exchange.url, KEY_A)
    placed = await place(api, price="40.50")
    statuses = [
        (await api.post("/v1/orders/batch-cancel", {"order_nos": [placed["order_no"]]}))[0]
        for _ in range(11)
    ]
    assert statuses == [200] * 10 + [429]
    status, answer = await api.post("/v1/orders/batch-cancel", {"order_nos": ["00001"]})
    assert status == 429 and RATE_LIMIT_MESSAGE in answer["message"]
    assert (await place(api, price="40.45"))["status"] == 10
