"""The compatible SDK at run time, against a real rehearsal exchange: Fubon's return values
and callback sequences (blocking, unblock, batch; accepted and refused, by the system or by
the back end), callbacks on a thread of their own, the broker's refusal texts as
`is_success=False`, fills, queries and accounting. SDK calls block, so each runs in a
worker thread while the exchange serves on the test's loop."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tradeburst import sim
from tradeburst.exchange import ManualClock
from tradeburst.sim import fubon_neo

from _support import KEY_A, StartExchange, clock_at

C = fubon_neo.constant
WAIT_S = 5.0
RATE_LIMITED = "Login Error, 業務系統流量控管"


def order(price: str | None, tag: str, side: Any = C.BSAction.Buy, quantity: int = 1000,
          price_type: Any = C.PriceType.Limit) -> Any:  # fmt: skip
    return fubon_neo.sdk.Order(
        side, "2881", quantity, C.MarketType.Common, price_type, C.TimeInForce.ROD,
        C.OrderType.Stock, price, tag,
    )  # fmt: skip


@dataclass
class Reports:
    """Every callback in order, with the name of the thread it came on."""

    items: list[tuple[str, Any, Any, str]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def recorder(self, kind: str) -> Callable[[Any, Any], None]:
        def record(code: Any, content: Any) -> None:
            with self.changed:
                self.items.append((kind, code, content, threading.current_thread().name))
                self.changed.notify_all()

        return record

    def of(self, kind: str, seq_no: str | None = None) -> list[tuple[Any, Any]]:
        with self.changed:
            return [
                (code, content)
                for k, code, content, _ in self.items
                if k == kind and (seq_no is None or content.seq_no == seq_no)
            ]

    async def wait(self, kind: str, count: int, seq_no: str | None = None) -> list[Any]:
        await self.wait_until(lambda: len(self.of(kind, seq_no)) >= count)
        return self.of(kind, seq_no)

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        def met() -> bool:
            with self.changed:
                return self.changed.wait_for(condition, timeout=WAIT_S)

        assert await asyncio.to_thread(met), self.items


@dataclass
class Rehearsal:
    sdk: Any
    account: Any
    reports: Reports

    async def __call__(self, method: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(method, *args)


@pytest.fixture
def clock() -> ManualClock:
    return clock_at(10, 0)


@pytest.fixture
async def rehearsal(start_exchange: StartExchange, clock: ManualClock) -> AsyncIterator[Rehearsal]:
    """A logged-in SDK on a Fubon-limits exchange whose clock stands still (so its rate
    windows never slide), every callback recorded."""
    exchange = await start_exchange(profile="fubon", clock=clock)
    sim.configure(exchange.url, KEY_A)
    sdk = await asyncio.to_thread(fubon_neo.sdk.FubonSDK, 30, 2, "wss://unused.example")
    accounts = await asyncio.to_thread(sdk.login, "A123456789", "pass", "cert.pfx")
    assert accounts.is_success, accounts
    reports = Reports()
    for kind in ("order", "order_changed", "filled", "event"):
        getattr(sdk, f"set_on_{kind}")(reports.recorder(kind))
    yield Rehearsal(sdk, accounts.data[0], reports)
    await asyncio.to_thread(sdk.shutdown)


async def test_a_blocking_order_returns_its_result_and_reports_once(rehearsal: Rehearsal) -> None:
    """Blocking: function_type 0 status 10 returned; one on_order report, 10 and 10."""
    placed = await rehearsal(rehearsal.sdk.stock.place_order, rehearsal.account, order("85", "b1"))
    assert placed.is_success and placed.message is None
    data = placed.data
    assert (data.function_type, data.status, data.stock_no, data.user_def) == (0, 10, "2881", "b1")
    assert data.order_no and len(data.seq_no) == 11 and data.price == 85.0
    assert data.buy_sell == C.BSAction.Buy and str(data.market_type) == "MarketType.Common"
    reports = await rehearsal.reports.wait("order", 1, data.seq_no)
    assert [(code, r.function_type, r.status) for code, r in reports] == [(None, 10, 10)]


async def test_unblock_returns_the_acknowledgement_then_reports_4_8_10(
    rehearsal: Rehearsal,
) -> None:
    """Unblock: the status-4 ACK (no order_no) comes back; on_order then says 4, 8, 10 on a
    thread that is not the caller's."""
    stock, account = rehearsal.sdk.stock, rehearsal.account
    ack = await rehearsal(stock.place_order, account, order("85", "u1"), True)
    assert ack.is_success and (ack.data.status, ack.data.order_no) == (4, None)
    reports = await rehearsal.reports.wait("order", 3, ack.data.seq_no)
    assert [(r.function_type, r.status) for _, r in reports] == [(0, 4), (10, 8), (10, 10)]
    assert reports[0][1].is_pre_order is True and reports[2][1].order_no
    threads = {name for *_, name in rehearsal.reports.items}
    assert threads == {"fubon-callbacks"}


async def test_a_price_outside_the_limits_is_refused_in_fubons_words(
    rehearsal: Rehearsal,
) -> None:
    """Blocking: is_success False with 單價輸入錯誤, a 90 report with the coded text; unblock:
    the ACK succeeds and the refusal comes as 4, 8, 90."""
    stock, account = rehearsal.sdk.stock, rehearsal.account
    refused = await rehearsal(stock.place_order, account, order("200", "x1"))
    assert (refused.is_success, refused.message, refused.data) == (
        False, "單價輸入錯誤[4385715]", None,
    )  # fmt: skip
    ((code, report),) = await rehearsal.reports.wait("order", 1)
    assert code == "[4385715]單價輸入錯誤[4385715]"
    assert (report.function_type, report.status, report.order_no) == (90, 90, None)
    ack = await rehearsal(stock.place_order, account, order("200", "x2"), True)
    assert ack.is_success and ack.data.status == 4
    reports = await rehearsal.reports.wait("order", 3, ack.data.seq_no)
    assert [r.status for _, r in reports] == [4, 8, 90] and reports[2][0].startswith("[4385715]")


async def test_a_batch_acknowledges_then_reports_8s_then_outcomes(rehearsal: Rehearsal) -> None:
    """Three ACKs (status 4, no order_no); then an 8 for each, then each outcome."""
    orders = [order("85", f"bt{i}") for i in range(3)]
    acks = await rehearsal(rehearsal.sdk.stock.batch_place_order, rehearsal.account, orders)
    assert acks.is_success and [(a.status, a.order_no) for a in acks.data] == [(4, None)] * 3
    reports = await rehearsal.reports.wait("order", 6)
    assert [r.status for _, r in reports] == [8, 8, 8, 10, 10, 10]
    assert {r.seq_no for _, r in reports[3:]} == {a.seq_no for a in acks.data}


async def test_31_orders_are_refused_before_anything_is_sent(rehearsal: Rehearsal) -> None:
    """The binary's own text; no order reaches the exchange."""
    refused = await rehearsal(
        rehearsal.sdk.stock.batch_place_order, rehearsal.account, [order("85", "n")] * 31
    )
    assert not refused.is_success and refused.message.endswith("Max 30")
    results = await rehearsal(rehearsal.sdk.stock.get_order_results, rehearsal.account)
    assert results.is_success and results.data == []


async def test_changes_report_4_then_the_outcome_and_refusals_as_fubon_does(
    rehearsal: Rehearsal,
) -> None:
    """A reprice: 4 → 10 on on_order_changed; the same price: only 19 ([154]); beyond the
    limits: 4 → 19; more quantity: only 29 ([164]); a cancel 4 → 30; again: only 39."""
    stock, account, reports = rehearsal.sdk.stock, rehearsal.account, rehearsal.reports
    placed = (await rehearsal(stock.place_order, account, order("85", "c1", quantity=3000))).data
    seq = placed.seq_no
    reprice, resize = stock.make_modify_price_obj, stock.make_modify_quantity_obj
    repriced = await rehearsal(stock.modify_price, account, reprice(placed, "84"))
    assert repriced.is_success and (repriced.data.function_type, repriced.data.status) == (15, 10)
    assert (repriced.data.before_price, repriced.data.after_price) == (85.0, 84.0)
    same = await rehearsal(stock.modify_price, account, reprice(placed, "84"))
    assert not same.is_success and same.message == f"證券改價限價格格和原價格相同==>[{seq}]"
    beyond = await rehearsal(stock.modify_price, account, reprice(placed, "200"))
    assert not beyond.is_success and beyond.message == "單價輸入錯誤[4385715]"
    more = await rehearsal(stock.modify_quantity, account, resize(placed, 5000))
    assert not more.is_success and more.message.startswith("證券減量使用剩餘數量大於有效單位數量")
    cancelled = await rehearsal(stock.cancel_order, account, placed)
    assert cancelled.is_success
    assert (cancelled.data.function_type, cancelled.data.status) == (30, 30)
    again = await rehearsal(stock.cancel_order, account, placed)
    assert not again.is_success and again.message == "證券委託目前狀態取消單已不允許取消交易"
    changes = await reports.wait("order_changed", 9, seq)
    assert [(r.function_type, r.status) for _, r in changes] == [
        (15, 4), (15, 10), (15, 19), (15, 4), (15, 19), (20, 29), (30, 4), (30, 30), (30, 39),
    ]  # fmt: skip
    assert changes[2][0] == f"[154]證券改價限價格格和原價格相同==>[{seq}]"
    assert changes[2][1].market_type == C.MarketType.UnSupported and changes[2][1].price is None


async def test_an_acknowledgement_cannot_be_changed(rehearsal: Rehearsal) -> None:
    """An unblock ACK has no order_no yet: the binary's text, nothing sent."""
    stock, account = rehearsal.sdk.stock, rehearsal.account
    ack = await rehearsal(stock.place_order, account, order("85", "a1"), True)
    refused = await rehearsal(stock.cancel_order, account, ack.data)
    assert not refused.is_success and refused.message == "此單無法進行刪改，請使用委託查詢此單狀態"


async def test_the_query_limit_answers_in_fubons_words(rehearsal: Rehearsal) -> None:
    """Five queries in a second pass; the sixth is is_success False, 業務系統流量控管."""
    answers = [
        await rehearsal(rehearsal.sdk.stock.get_order_results, rehearsal.account) for _ in range(6)
    ]
    assert [a.is_success for a in answers] == [True] * 5 + [False]
    assert answers[-1].message == RATE_LIMITED and answers[-1].data is None


async def test_fills_reach_on_filled_the_queries_and_the_accounting(rehearsal: Rehearsal) -> None:
    """A buy and a sell that cross: on_filled carries seq_no and user_def, filled_history
    does not; details list the order's changes; the inventory nets the two sides."""
    stock, account = rehearsal.sdk.stock, rehearsal.account
    buy = (await rehearsal(stock.place_order, account, order("88", "f1", quantity=2000))).data
    sell = order("88", "f2", side=C.BSAction.Sell)
    await rehearsal(stock.place_order, account, sell)
    fills = await rehearsal.reports.wait("filled", 2)
    mine = [f for _, f in fills if f.user_def == "f1"]
    assert mine and mine[0].seq_no == buy.seq_no and mine[0].filled_qty == 1000
    assert mine[0].filled_price == 88.0 and mine[0].buy_sell == C.BSAction.Buy
    history = await rehearsal(stock.filled_history, account)
    assert history.is_success and len(history.data) == 2
    assert {(f.seq_no, f.user_def) for f in history.data} == {(None, None)}
    detail = await rehearsal(stock.get_order_results_detail, account)
    (placed,) = [o for o in detail.data if o.user_def == "f1"]
    assert (placed.function_type, placed.filled_qty, placed.status) == (None, 1000, 10)
    assert [d.status for d in placed.details][-1] == 10 and placed.details[-1].filled_money == 88000
    inventory = await rehearsal(rehearsal.sdk.accounting.inventories, account)
    (row,) = inventory.data
    assert (row.stock_no, row.buy_filled_qty, row.sell_filled_qty, row.today_qty) == (
        "2881", 1000, 1000, 0,
    )  # fmt: skip


async def test_quotes_come_from_the_order_system(rehearsal: Rehearsal) -> None:
    """query_symbol_quote: the reference price and limits; other market types refused."""
    stock, account = rehearsal.sdk.stock, rehearsal.account
    quote = await rehearsal(stock.query_symbol_quote, account, "2881")
    assert quote.is_success and quote.data.reference_price == 88.6
    assert (quote.data.limitup_price, quote.data.limitdown_price) == (97.4, 79.8)
    odd = await rehearsal(stock.query_symbol_quote, account, "2881", C.MarketType.Odd)
    assert not odd.is_success and odd.message == "不支援此 MarketType"
    snapshot = await rehearsal(stock.query_symbol_snapshot, account)
    assert snapshot.is_success and "2881" in {q.symbol for q in snapshot.data}


async def test_the_sdks_own_checks_refuse_before_sending(rehearsal: Rehearsal) -> None:
    """Quantity, price and symbol checks answer in the binary's texts; nothing is placed."""
    stock, account = rehearsal.sdk.stock, rehearsal.account
    texts = [
        (await rehearsal(stock.place_order, account, bad)).message
        for bad in (order("85", "q", quantity=1500), order(None, "p"),
                    order("85", "m", price_type=C.PriceType.Market))
    ]  # fmt: skip
    assert texts == [
        "Quantity must be multiply of 1000, input is 1500", "Must Provide Price",
        "Price should be empty",
    ]  # fmt: skip
    results = await rehearsal(stock.get_order_results, account)
    assert results.data == []


async def test_install_makes_import_fubon_neo_find_it_and_uninstall_undoes_it() -> None:
    """After install(), `from fubon_neo.sdk import FubonSDK` is the compatible one; after
    uninstall(), the real package is back where it was."""
    import fubon_neo.sdk as before

    sim.install()
    try:
        from fubon_neo.adapter import Mode
        from fubon_neo.constant import BSAction
        from fubon_neo.sdk import FubonSDK

        assert FubonSDK is fubon_neo.sdk.FubonSDK and BSAction is C.BSAction
        assert Mode is fubon_neo.sdk.Mode
    finally:
        sim.uninstall()
    assert sys.modules["fubon_neo.sdk"] is before


async def test_the_real_binarys_order_and_enums_are_taken_too(rehearsal: Rehearsal) -> None:
    """A script that built its Order with the real wheel still places it here."""
    import fubon_neo.constant as real_c
    import fubon_neo.sdk as real_sdk

    real_order = real_sdk.Order(
        real_c.BSAction.Buy, "2881", 1000, real_c.MarketType.Common, real_c.PriceType.Limit,
        real_c.TimeInForce.ROD, real_c.OrderType.Stock, "85", "real1",
    )  # fmt: skip
    stock, account = rehearsal.sdk.stock, rehearsal.account
    placed = await rehearsal(stock.place_order, account, real_order)
    assert placed.is_success and placed.data.user_def == "real1" and placed.data.price == 85.0
    quote = await rehearsal(stock.query_symbol_quote, account, "2881", real_c.MarketType.Common)
    assert quote.is_success and quote.data.market_type == C.MarketType.Common


async def test_a_call_after_the_exchange_is_gone_answers_a_result(
    start_exchange: StartExchange,
) -> None:
    """Event 300 when the exchange goes; then a call answers a Result with the binary's
    words (the connection closed or refused), no exception."""
    exchange = await start_exchange()
    sim.configure(exchange.url, KEY_A)
    sdk = await asyncio.to_thread(fubon_neo.sdk.FubonSDK)
    account = (await asyncio.to_thread(sdk.apikey_dma_login, "A123456789", "k")).data[0]
    reports = Reports()
    sdk.set_on_event(reports.recorder("event"))
    await exchange.aclose()
    try:
        await reports.wait_until(lambda: ("300", "disconnect") in reports.of("event"))
        answer = await asyncio.to_thread(sdk.stock.place_order, account, order("85", "gone"))
        assert not answer.is_success and answer.data is None
        assert answer.message.startswith(
            ("Login Error, Unable to make method calls", "URL error: Unable to connect")
        ), answer.message
    finally:
        await asyncio.to_thread(sdk.shutdown)


async def test_a_connection_the_server_closed_while_idle_is_not_reused(
    start_exchange: StartExchange,
) -> None:
    """Between two calls the exchange restarts on the same port (as aiohttp closes idle
    connections): the second call opens a new connection and succeeds, once."""
    first = await start_exchange()
    sim.configure(first.url, KEY_A)
    sdk = await asyncio.to_thread(fubon_neo.sdk.FubonSDK)
    account = (await asyncio.to_thread(sdk.apikey_dma_login, "A123456789", "k")).data[0]
    try:
        assert (await asyncio.to_thread(sdk.stock.get_order_results, account)).is_success
        port = int(first.url.rsplit(":", 1)[1])
        await first.aclose()
        second = await start_exchange(port=port)
        placed = await asyncio.to_thread(sdk.stock.place_order, account, order("85", "again"))
        assert placed.is_success, placed.message
        results = await asyncio.to_thread(sdk.stock.get_order_results, account)
        assert [o.user_def for o in results.data] == ["again"] and second.url == first.url
    finally:
        await asyncio.to_thread(sdk.shutdown)


async def test_batch_changes_report_every_4_then_every_outcome(rehearsal: Rehearsal) -> None:
    """batch_modify_price returns status-4 ACKs; on_order_changed says 4, 4, then 10, 10;
    batch_cancel_order likewise with 30s; more than 30 is refused."""
    stock, account = rehearsal.sdk.stock, rehearsal.account
    placed = [
        (await rehearsal(stock.place_order, account, order("85", f"bc{i}"))).data for i in range(2)
    ]
    changes = [stock.make_modify_price_obj(p, "84") for p in placed]
    acks = await rehearsal(stock.batch_modify_price, account, changes)
    assert acks.is_success and [(a.function_type, a.status) for a in acks.data] == [(15, 4)] * 2
    reports = await rehearsal.reports.wait("order_changed", 4)
    assert [r.status for _, r in reports] == [4, 4, 10, 10]
    cancelled = await rehearsal(stock.batch_cancel_order, account, placed)
    assert cancelled.is_success and [a.status for a in cancelled.data] == [4, 4]
    reports = await rehearsal.reports.wait("order_changed", 8)
    assert [(r.function_type, r.status) for _, r in reports[4:]] == [(30, 4)] * 2 + [(30, 30)] * 2
    too_many = await rehearsal(stock.batch_cancel_order, account, placed * 16)
    assert not too_many.is_success and too_many.message.endswith("Max 30")
