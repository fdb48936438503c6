"""Continuous matching in the limit order book (TWSE Operating Rules Art. 58-2, 58-3 ¶3).

Prices are integer cents; 100000 is 1000.00 TWD, where the tick is 5 TWD (500 cents).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tradeburst.exchange._book import Book, BookOrder, Trade
from tradeburst.model import Side, TimeInForce

from _books import BUY, FOK, IOC, LIMIT_DOWN, LIMIT_UP, LOT, REFERENCE, ROD, SELL, new_book, order


def book_with(*orders: BookOrder) -> Book:
    """A book holding `orders`, each entered in continuous trading in turn."""
    book = new_book()
    for o in orders:
        book.submit(o)
    return book


def snapshot(book: Book) -> list[tuple[int, int, int]]:
    return [(o.order_id, o.price_cents, o.remaining) for o in book.resting()]


def three_ask_levels() -> Book:
    return book_with(
        order(1, SELL, 100_000, LOT),
        order(2, SELL, 100_500, LOT),
        order(3, SELL, 101_000, LOT),
    )


# -- prices of fills -----------------------------------------------------------------------


def test_a_buy_fills_at_the_resting_ask_price() -> None:
    """A buy priced above the best ask trades at the ask's price, not its own."""
    book = book_with(order(1, SELL, 100_000, LOT))
    assert book.submit(order(2, BUY, 101_000, LOT)) == [Trade(2, 1, 100_000, LOT)]


def test_a_sell_fills_at_the_resting_bid_price() -> None:
    """A sell priced below the best bid trades at the bid's price, not its own."""
    book = book_with(order(1, BUY, 100_000, LOT))
    assert book.submit(order(2, SELL, 99_000, LOT)) == [Trade(1, 2, 100_000, LOT)]


def test_a_trade_sets_the_last_price() -> None:
    """The last trade price is the price of the last fill of a sweep."""
    book = three_ask_levels()
    book.submit(order(9, BUY, 101_000, 2 * LOT))
    assert book.last_price_cents == 100_500


def test_a_book_without_trades_has_no_last_price() -> None:
    """Resting orders that do not cross leave the last price unset."""
    book = book_with(order(1, BUY, 99_000, LOT), order(2, SELL, 101_000, LOT))
    assert book.last_price_cents is None


# -- sweeping ------------------------------------------------------------------------------


def test_a_buy_sweeps_ask_levels_best_first() -> None:
    """A large buy takes the lowest ask, then the next, each at its own price."""
    book = three_ask_levels()
    trades = book.submit(order(9, BUY, 101_000, 2 * LOT + 500))
    assert trades == [
        Trade(9, 1, 100_000, LOT),
        Trade(9, 2, 100_500, LOT),
        Trade(9, 3, 101_000, 500),
    ]


def test_a_sell_sweeps_bid_levels_best_first() -> None:
    """A large sell takes the highest bid, then the next, each at its own price."""
    book = book_with(
        order(1, BUY, 99_000, LOT),
        order(2, BUY, 100_000, LOT),
        order(3, BUY, 99_500, LOT),
    )
    trades = book.submit(order(9, SELL, 99_000, 3 * LOT))
    assert trades == [
        Trade(2, 9, 100_000, LOT),
        Trade(3, 9, 99_500, LOT),
        Trade(1, 9, 99_000, LOT),
    ]


def test_a_sweep_stops_at_the_order_price() -> None:
    """A buy never takes an ask priced above its own limit."""
    book = three_ask_levels()
    trades = book.submit(order(9, BUY, 100_500, 3 * LOT))
    assert [t.sell_id for t in trades] == [1, 2]
    assert book.best_ask() == 101_000


def test_a_partly_taken_resting_order_keeps_the_rest() -> None:
    """A resting order larger than the incoming one stays with what is left."""
    book = book_with(order(1, SELL, 100_000, 3 * LOT))
    book.submit(order(2, BUY, 100_000, LOT))
    assert snapshot(book) == [(1, 100_000, 2 * LOT)]


def test_a_fully_taken_resting_order_leaves_the_book() -> None:
    """A resting order that fills completely is gone from the book and its level."""
    book = book_with(order(1, SELL, 100_000, LOT), order(2, SELL, 100_500, LOT))
    book.submit(order(3, BUY, 100_000, LOT))
    assert 1 not in book
    assert book.best_ask() == 100_500


def test_a_market_style_buy_at_limit_up_sweeps_to_the_limit() -> None:
    """A market buy, priced at limit-up by the book's convention, takes every ask."""
    book = three_ask_levels()
    market = order(9, BUY, LIMIT_UP, 3 * LOT, IOC)
    market.is_market = True
    assert [t.sell_id for t in book.submit(market)] == [1, 2, 3]


# -- time in force -------------------------------------------------------------------------


def test_rod_rests_when_nothing_crosses() -> None:
    """A ROD order that cannot trade joins the book at its price."""
    book = book_with(order(1, SELL, 101_000, LOT))
    assert book.submit(order(2, BUY, 100_000, LOT)) == []
    assert snapshot(book) == [(2, 100_000, LOT), (1, 101_000, LOT)]


def test_rod_rests_its_unfilled_rest() -> None:
    """A ROD order that fills in part rests the rest at its own price."""
    book = book_with(order(1, SELL, 100_000, LOT))
    book.submit(order(2, BUY, 100_500, 3 * LOT))
    assert snapshot(book) == [(2, 100_500, 2 * LOT)]
    assert book.best_bid() == 100_500


def test_ioc_drops_its_unfilled_rest() -> None:
    """An IOC order fills what it can at once and never rests."""
    book = three_ask_levels()
    ioc = order(9, BUY, 100_500, 3 * LOT, IOC)
    trades = book.submit(ioc)
    assert sum(t.quantity for t in trades) == 2 * LOT
    assert 9 not in book
    assert book.best_bid() is None
    assert ioc.remaining == LOT


def test_ioc_that_cannot_trade_leaves_no_trace() -> None:
    """An IOC order with nothing to meet trades nothing and does not rest."""
    book = book_with(order(1, SELL, 101_000, LOT))
    assert book.submit(order(2, BUY, 100_000, LOT, IOC)) == []
    assert snapshot(book) == [(1, 101_000, LOT)]


def test_fok_fills_completely_when_the_book_holds_enough() -> None:
    """An FOK order that the reachable asks can cover fills in full."""
    book = three_ask_levels()
    trades = book.submit(order(9, BUY, 101_000, 3 * LOT, FOK))
    assert sum(t.quantity for t in trades) == 3 * LOT
    assert book.best_ask() is None


def test_fok_that_cannot_fill_completely_leaves_the_book_untouched() -> None:
    """An FOK order larger than what it can reach trades nothing and changes nothing."""
    book = three_ask_levels()
    before = snapshot(book)
    fok = order(9, BUY, 101_000, 3 * LOT + 1, FOK)
    assert book.submit(fok) == []
    assert snapshot(book) == before
    assert book.last_price_cents is None
    assert 9 not in book


def test_fok_counts_only_asks_within_its_price() -> None:
    """Depth beyond an FOK order's limit does not count toward filling it."""
    book = book_with(order(1, SELL, 100_000, LOT), order(2, SELL, 101_000, 5 * LOT))
    assert book.submit(order(9, BUY, 100_500, 2 * LOT, FOK)) == []
    assert snapshot(book) == [(1, 100_000, LOT), (2, 101_000, 5 * LOT)]


def test_fok_sell_counts_only_bids_within_its_price() -> None:
    """A sell FOK counts only bids at or above its price."""
    book = book_with(order(1, BUY, 100_000, LOT), order(2, BUY, 99_000, 5 * LOT))
    assert book.submit(order(9, SELL, 99_500, 2 * LOT, FOK)) == []
    assert book.submit(order(10, SELL, 99_000, 2 * LOT, FOK)) == [
        Trade(1, 10, 100_000, LOT),
        Trade(2, 10, 99_000, LOT),
    ]


# -- priority ------------------------------------------------------------------------------


def test_the_earlier_order_at_a_price_fills_first() -> None:
    """Two bids at one price fill in the order they arrived."""
    book = book_with(order(1, BUY, 100_000, LOT), order(2, BUY, 100_000, LOT))
    assert book.submit(order(3, SELL, 100_000, LOT)) == [Trade(1, 3, 100_000, LOT)]
    assert book.submit(order(4, SELL, 100_000, LOT)) == [Trade(2, 4, 100_000, LOT)]


def test_a_better_price_beats_an_earlier_order() -> None:
    """A later ask at a lower price fills before an earlier ask at a higher one."""
    book = book_with(order(1, SELL, 100_500, LOT), order(2, SELL, 100_000, LOT))
    assert book.submit(order(3, BUY, 100_500, LOT)) == [Trade(3, 2, 100_000, LOT)]


def test_a_partly_filled_resting_order_keeps_its_place() -> None:
    """The front order of a level stays in front after a partial fill."""
    book = book_with(order(1, BUY, 100_000, 2 * LOT), order(2, BUY, 100_000, LOT))
    book.submit(order(3, SELL, 100_000, LOT))
    assert book.submit(order(4, SELL, 100_000, LOT)) == [Trade(1, 4, 100_000, LOT)]


def test_a_resting_market_buy_ranks_ahead_of_a_limit_buy_at_limit_up() -> None:
    """A market buy rests ahead of an earlier limit buy queued at limit-up."""
    book = book_with(order(1, BUY, LIMIT_UP, LOT))
    market = order(2, BUY, LIMIT_UP, LOT)
    market.is_market = True
    book.submit(market)
    assert book.submit(order(3, SELL, LIMIT_UP, LOT)) == [Trade(2, 3, LIMIT_UP, LOT)]


def test_resting_lists_bids_then_asks_in_priority_order() -> None:
    """resting() gives bids best first, then asks best first, FIFO within a price."""
    book = book_with(
        order(1, BUY, 99_000, LOT),
        order(2, BUY, 99_500, LOT),
        order(3, BUY, 99_500, LOT),
        order(4, SELL, 101_000, LOT),
        order(5, SELL, 100_500, LOT),
    )
    assert [o.order_id for o in book.resting()] == [2, 3, 1, 5, 4]


def test_depth_sums_each_level_best_first() -> None:
    """depth() gives (price, shares) per level, best first, up to the number asked."""
    book = book_with(
        order(1, BUY, 99_000, LOT),
        order(2, BUY, 99_500, LOT),
        order(3, BUY, 99_500, 2 * LOT),
        order(4, SELL, 100_500, LOT),
    )
    assert book.depth(1) == ([(99_500, 3 * LOT)], [(100_500, LOT)])
    assert book.depth() == ([(99_500, 3 * LOT), (99_000, LOT)], [(100_500, LOT)])


# -- cancel and reduce ---------------------------------------------------------------------


def test_cancel_removes_a_resting_order_and_returns_it() -> None:
    """A cancelled order leaves the book and comes back with its open quantity."""
    book = book_with(order(1, BUY, 100_000, 2 * LOT))
    cancelled = book.cancel(1)
    assert cancelled is not None and (cancelled.order_id, cancelled.remaining) == (1, 2 * LOT)
    assert 1 not in book
    assert book.best_bid() is None


def test_cancel_of_an_unknown_order_returns_none() -> None:
    """Cancelling an order the book does not hold changes nothing."""
    book = book_with(order(1, BUY, 100_000, LOT))
    assert book.cancel(42) is None
    assert snapshot(book) == [(1, 100_000, LOT)]


def test_a_cancelled_order_no_longer_trades() -> None:
    """After a cancel the next order in the queue takes the fill."""
    book = book_with(order(1, BUY, 100_000, LOT), order(2, BUY, 100_000, LOT))
    book.cancel(1)
    assert book.submit(order(3, SELL, 100_000, LOT)) == [Trade(2, 3, 100_000, LOT)]


def test_reduce_lowers_the_open_quantity() -> None:
    """A reduced order shows and trades only its new quantity."""
    book = book_with(order(1, BUY, 100_000, 3 * LOT))
    book.reduce(1, LOT)
    assert book.depth() == ([(100_000, LOT)], [])
    assert book.submit(order(2, SELL, 100_000, 3 * LOT)) == [Trade(1, 2, 100_000, LOT)]


def test_reduce_keeps_the_queue_place() -> None:
    """An order reduced in size still fills before later orders at its price."""
    book = book_with(order(1, BUY, 100_000, 3 * LOT), order(2, BUY, 100_000, LOT))
    book.reduce(1, LOT)
    assert book.submit(order(3, SELL, 100_000, LOT)) == [Trade(1, 3, 100_000, LOT)]


@pytest.mark.parametrize("new_remaining", [2 * LOT + 1, 3 * LOT, 0, -LOT])
def test_reduce_refuses_an_increase_or_nothing_left(new_remaining: int) -> None:
    """reduce cannot raise the quantity, nor lower it to zero or below."""
    book = book_with(order(1, BUY, 100_000, 2 * LOT))
    with pytest.raises(ValueError, match="cannot change open quantity"):
        book.reduce(1, new_remaining)
    assert snapshot(book) == [(1, 100_000, 2 * LOT)]


def test_reduce_of_an_unknown_order_raises() -> None:
    """Reducing an order the book does not hold is an error."""
    with pytest.raises(KeyError, match=r"^42$"):
        new_book().reduce(42, LOT)


# -- property: random order flow against a model ------------------------------------------

PRICES = [99_000, 99_500, 100_000, 100_500, 101_000]


@dataclass
class _Resting:
    order_id: int
    side: Side
    price_cents: int
    remaining: int
    arrival: int
    is_market: bool = False


class ContinuousBookMachine(RuleBasedStateMachine):
    """Random submits, cancels and reduces, checked against a plain list-based model of
    price-time priority and against per-order share accounting."""

    def __init__(self) -> None:
        super().__init__()
        self.book = new_book()
        self.model: list[_Resting] = []
        self.next_id = 1
        self.original: dict[int, int] = {}
        self.filled: dict[int, int] = {}
        self.gone: dict[int, int] = {}  # dropped (IOC/FOK), cancelled or reduced away
        self.last_price = REFERENCE

    def _priority(self, side: Side) -> list[_Resting]:
        same = [r for r in self.model if r.side is side]
        sign = -1 if side is BUY else 1
        # Market orders rank ahead of limit orders at their price (Art. 58-8).
        return sorted(same, key=lambda r: (sign * r.price_cents, not r.is_market, r.arrival))

    def _converted_price(self, side: Side) -> int:
        """Art. 58-8, from the model: the resting price of a market order's rest."""
        best = [self._priority(s)[0].price_cents for s in (BUY, SELL) if self._priority(s)]
        candidates = [self.last_price, *best]
        price = max(candidates) if side is BUY else min(candidates)
        return min(max(price, LIMIT_DOWN), LIMIT_UP)

    def _expected_trades(self, incoming: BookOrder) -> list[Trade]:
        is_buy = incoming.side is BUY
        reachable = [
            r
            for r in self._priority(incoming.side.opposite)
            if (
                r.price_cents <= incoming.price_cents
                if is_buy
                else r.price_cents >= incoming.price_cents
            )
        ]
        if (
            incoming.time_in_force is FOK
            and sum(r.remaining for r in reachable) < incoming.remaining
        ):
            return []
        trades, left = [], incoming.remaining
        for r in reachable:
            if not left:
                break
            quantity = min(left, r.remaining)
            buy_id, sell_id = (
                (incoming.order_id, r.order_id) if is_buy else (r.order_id, incoming.order_id)
            )
            trades.append(Trade(buy_id, sell_id, r.price_cents, quantity))
            left -= quantity
        return trades

    @rule(
        side=st.sampled_from([BUY, SELL]),
        price=st.sampled_from(PRICES),
        shares=st.integers(1, 4).map(lambda lots: lots * LOT) | st.integers(1, 3000),
        tif=st.sampled_from([ROD, ROD, IOC, FOK]),
        is_market=st.booleans(),
    )
    def submit(
        self, side: Side, price: int, shares: int, tif: TimeInForce, is_market: bool
    ) -> None:
        order_id = self.next_id
        self.next_id += 1
        if is_market:
            price = LIMIT_UP if side is BUY else LIMIT_DOWN
        incoming = order(order_id, side, price, shares, tif)
        incoming.is_market = is_market
        self.original[order_id] = shares
        expected = self._expected_trades(incoming)
        trades = self.book.submit(incoming)
        assert trades == expected, "fills must follow price-time priority at resting prices"
        for trade in trades:
            self.filled[trade.buy_id] = self.filled.get(trade.buy_id, 0) + trade.quantity
            self.filled[trade.sell_id] = self.filled.get(trade.sell_id, 0) + trade.quantity
            resting_id = trade.sell_id if side is BUY else trade.buy_id
            (resting,) = [r for r in self.model if r.order_id == resting_id]
            resting.remaining -= trade.quantity
        self.model = [r for r in self.model if r.remaining]
        if trades:
            self.last_price = trades[-1].price_cents
        left = shares - sum(t.quantity for t in trades)
        if left and tif is ROD:
            if is_market:
                price = self._converted_price(side)
            self.model.append(
                _Resting(order_id, side, price, left, arrival=order_id, is_market=is_market)
            )
        else:
            self.gone[order_id] = left

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(self.model), label="cancel")
        cancelled = self.book.cancel(target.order_id)
        assert cancelled is not None and cancelled.remaining == target.remaining
        self.model.remove(target)
        self.gone[target.order_id] = self.gone.get(target.order_id, 0) + target.remaining

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def reduce(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(self.model), label="reduce")
        new_remaining = data.draw(st.integers(1, target.remaining), label="to")
        self.book.reduce(target.order_id, new_remaining)
        self.gone[target.order_id] = (
            self.gone.get(target.order_id, 0) + target.remaining - new_remaining
        )
        target.remaining = new_remaining

    @rule(order_id=st.integers(-5, 0))
    def cancel_unknown(self, order_id: int) -> None:
        assert self.book.cancel(order_id) is None

    @invariant()
    def book_is_never_crossed(self) -> None:
        assert not self.book.is_crossed()

    @invariant()
    def book_matches_the_model(self) -> None:
        expected = [
            (r.order_id, r.price_cents, r.remaining)
            for side in (BUY, SELL)
            for r in self._priority(side)
        ]
        assert snapshot(self.book) == expected

    @invariant()
    def shares_are_conserved(self) -> None:
        resting = {o.order_id: o.remaining for o in self.book.resting()}
        for order_id, shares in self.original.items():
            accounted = (
                self.filled.get(order_id, 0) + resting.get(order_id, 0) + self.gone.get(order_id, 0)
            )
            assert accounted == shares, f"order {order_id}: {accounted} of {shares} shares"


ContinuousBookMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=30, deadline=None
)
TestContinuousBookKeepsPriorityAndConservesShares = ContinuousBookMachine.TestCase
