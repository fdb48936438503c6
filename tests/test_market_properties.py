"""Market-level invariants under random order flow across the trading day: every record's
fill totals equal its fills, exactly in TWD; what a record says is open is what its book
holds; statuses agree with quantities; no book stays crossed while trading is continuous."""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tradeburst.clock import TAIPEI
from tradeburst.exchange import ManualClock
from tradeburst.exchange._accounts import Account
from tradeburst.exchange._events import MarketListener
from tradeburst.exchange._market import Market, Refusal
from tradeburst.exchange._symbols import load_symbols
from tradeburst.model import Order, OrderStatus, PriceType, Side, TimeInForce
from tradeburst.rules import Phase, to_cents

SYMBOL = "2891"  # reference 40.60, limits 36.55-44.65, tick 0.05
PRICES = [Decimal("40.45"), Decimal("40.50"), Decimal("40.55"), Decimal("40.60"), Decimal("40.65")]
ACCOUNTS = [Account("9800001"), Account("9800002")]


class MarketMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 11, 25, 8, 58, tzinfo=TAIPEI))
        self.market = Market(load_symbols(), self.clock, rng=random.Random(0))
        self.placed: list[tuple[Account, str]] = []

    @rule(
        account=st.sampled_from(ACCOUNTS),
        side=st.sampled_from([Side.BUY, Side.SELL]),
        price=st.sampled_from(PRICES),
        lots=st.integers(1, 5),
        kind=st.sampled_from(["limit", "limit", "limit", "market", "ioc", "fok"]),
    )
    def place(self, account: Account, side: Side, price: Decimal, lots: int, kind: str) -> None:
        market = kind == "market"
        order = Order(
            symbol=SYMBOL,
            side=side,
            quantity=lots * 1000,
            price_twd=None if market else price,
            price_type=PriceType.MARKET if market else PriceType.LIMIT,
            time_in_force={"ioc": TimeInForce.IOC, "fok": TimeInForce.FOK}.get(
                kind, TimeInForce.ROD
            ),
        )
        record = self.market.place(account, order, self.clock.now_ns())
        event(f"{self.market.phase()} {kind} -> {record.status.name}")
        if record.order_no is not None:
            self.placed.append((account, record.order_no))

    @precondition(lambda self: self.placed)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        account, order_no = data.draw(st.sampled_from(self.placed))
        with contextlib.suppress(Refusal):
            self.market.cancel(account, order_no)

    @precondition(lambda self: self.placed)
    @rule(data=st.data(), price=st.sampled_from(PRICES))
    def reprice(self, data: st.DataObject, price: Decimal) -> None:
        account, order_no = data.draw(st.sampled_from(self.placed))
        with contextlib.suppress(Refusal):
            self.market.modify_price(account, order_no, price=price)

    @precondition(lambda self: self.placed)
    @rule(data=st.data(), lots_off=st.integers(1, 3))
    def reduce(self, data: st.DataObject, lots_off: int) -> None:
        account, order_no = data.draw(st.sampled_from(self.placed))
        (record,) = [r for r in self.market.orders_of(account) if r.order_no == order_no]
        with contextlib.suppress(Refusal):
            self.market.modify_quantity(account, order_no, record.after_qty - lots_off * 1000)

    @rule(minutes=st.sampled_from([1, 1, 2, 60, 240]))
    def time_passes(self, minutes: int) -> None:
        day = self.market.day
        self.clock.advance(timedelta(minutes=minutes))
        self.market.sync()
        if self.market.day != day:
            self.placed.clear()  # yesterday's orders are gone with their day

    @invariant()
    def fills_add_up_exactly(self) -> None:
        for account in ACCOUNTS:
            quantity: dict[str, int] = defaultdict(int)
            money: dict[str, Decimal] = defaultdict(Decimal)
            for fill in self.market.fills_of(account):
                quantity[fill.order_no] += fill.filled_qty
                money[fill.order_no] += fill.filled_price * fill.filled_qty
            for record in self.market.orders_of(account):
                if record.order_no is None:
                    continue
                assert record.filled_qty == quantity[record.order_no]
                assert record.filled_money == money[record.order_no]

    @invariant()
    def open_quantity_is_what_the_book_holds(self) -> None:
        book = self.market.books[SYMBOL]
        resting = {o.order_id: o.remaining for o in book.resting()}
        for account in ACCOUNTS:
            for record in self.market.orders_of(account):
                assert resting.get(int(record.seq_no), 0) == record.open_qty

    @invariant()
    def statuses_agree_with_quantities(self) -> None:
        for account in ACCOUNTS:
            for record in self.market.orders_of(account):
                assert 0 <= record.filled_qty <= max(record.quantity, record.after_qty)
                if record.status is OrderStatus.FILLED:
                    assert record.filled_qty == record.after_qty
                if record.status is OrderStatus.PARTLY_FILLED_CANCELLED:
                    assert 0 < record.filled_qty == record.after_qty
                if record.status is OrderStatus.CANCELLED:
                    assert record.filled_qty == 0

    @invariant()
    def no_book_stays_crossed_in_continuous_trading(self) -> None:
        if self.market.phase() is Phase.CONTINUOUS:
            self.market.sync()
            assert not self.market.books[SYMBOL].is_crossed()

    @invariant()
    def prices_stay_inside_the_limits(self) -> None:
        band = self.market.symbols[SYMBOL].band
        for order in self.market.books[SYMBOL].resting():
            assert to_cents(band.limit_down_twd) <= order.price_cents <= to_cents(band.limit_up_twd)


MarketMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=50, deadline=None)
TestMarketInvariants = MarketMachine.TestCase


class _TimePasses(MarketListener):
    """Moves the clock 2 ms at every order change while on: time passing while the market
    handles one request, as it does on a real (or sped-up) clock."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.on = False

    def order_changed(self, record: Any) -> None:
        if self.on:
            self.clock.advance(timedelta(milliseconds=2))


def _market_at(hour: int, minute: int, second: int, ms: int) -> tuple[Market, _TimePasses]:
    clock = ManualClock(datetime(2026, 11, 25, hour, minute, second, ms * 1000, tzinfo=TAIPEI))
    market = Market(load_symbols(), clock, rng=random.Random(0))
    passing = _TimePasses(clock)
    market.listeners.append(passing)
    return market, passing


def _limit(side: Side, price: str, tif: TimeInForce = TimeInForce.ROD) -> Order:
    return Order(symbol=SYMBOL, side=side, quantity=1000, price_twd=Decimal(price),
                 time_in_force=tif)  # fmt: skip


def test_an_order_taken_before_the_open_waits_for_the_auction_though_time_passes() -> None:
    """A buy at 08:59:59.999 that crosses resting sells is queued for the opening auction,
    even if the clock passes 09:00 while it is handled (it used to trade at once)."""
    market, passing = _market_at(8, 59, 59, 999)
    seller, buyer = ACCOUNTS
    market.place(seller, _limit(Side.SELL, "40.00"), 0)
    passing.on = True
    record = market.place(buyer, _limit(Side.BUY, "41.00"), 0)
    passing.on = False
    assert (record.status, record.filled_qty) == (OrderStatus.ACCEPTED, 0)
    market.sync()
    assert market.phase() is Phase.CONTINUOUS
    assert record.filled_qty == 1000  # in the opening auction (the record is live)


def test_an_ioc_taken_before_the_closing_call_never_rests_into_it() -> None:
    """An IOC at 13:24:59.999 with nothing to trade is cancelled at once, even if the
    clock passes 13:25 while it is handled (it used to rest in the closing call)."""
    market, passing = _market_at(13, 24, 59, 999)
    passing.on = True
    record = market.place(ACCOUNTS[0], _limit(Side.BUY, "40.00", TimeInForce.IOC), 0)
    passing.on = False
    assert record.status is OrderStatus.CANCELLED
    assert list(market.books[SYMBOL].resting()) == []


class _BookWatcher(MarketListener):
    def __init__(self, market: Market) -> None:
        self.market = market
        self.seen: dict[str, int] = {}

    def book_changed(self, symbol: str) -> None:
        book = self.market.books[symbol]
        self.seen[symbol] = sum(order.remaining for order in book.resting())


def test_at_midnight_every_book_watcher_is_told_the_books_are_empty() -> None:
    """A bid resting at the close is gone with its day; a watcher of the book hears so at
    midnight rather than keeping yesterday's levels until the next order."""
    clock = ManualClock(datetime(2026, 11, 25, 12, 30, tzinfo=TAIPEI))
    market = Market(load_symbols(), clock, rng=random.Random(0))
    watcher = _BookWatcher(market)
    market.listeners.append(watcher)
    market.place(ACCOUNTS[0], _limit(Side.BUY, "40.00"), 0)
    assert watcher.seen == {SYMBOL: 1000}
    clock.advance(timedelta(hours=12))
    market.sync()
    assert watcher.seen[SYMBOL] == 0
    assert set(watcher.seen) == set(market.symbols)
