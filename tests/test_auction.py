"""The call auction of the order book (TWSE Operating Rules Art. 58-2, 58-3 ¶2).

Orders are queued with `Book.rest` (call phases) and uncrossed by `Book.auction()`. Prices
are integer cents; 100000 is 1000.00 TWD, where the tick is 5 TWD (500 cents).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeburst.exchange._book import Book, BookOrder, Trade
from tradeburst.model import Side

from _books import BUY, LIMIT_DOWN, LIMIT_UP, LOT, REFERENCE, SELL, new_book, order

TICK = 500
SEEDS = range(12)


def rest_all(book: Book, *orders: BookOrder) -> Book:
    for o in orders:
        book.rest(o)
    return book


def snapshot(book: Book) -> list[tuple[int, int, int]]:
    return [(o.order_id, o.price_cents, o.remaining) for o in book.resting()]


def buy_ids(trades: list[Trade]) -> list[int]:
    return [t.buy_id for t in trades]


def worked_example(reference_cents: int = REFERENCE) -> Book:
    """A hand-worked opening book (twse_rules.md has no numeric auction example).

    price    bids  cum.demand   asks  cum.supply   volume
    1010.00  2000        2000      -       12000     2000
    1005.00  3000        5000   4000       12000     5000
    1000.00  2000        7000   3000        8000     7000   <- maximum
     995.00  4000       11000   2000        5000     5000
     990.00     -       11000   3000        3000     3000
    """
    return rest_all(
        new_book(reference_cents=reference_cents),
        order(1, BUY, 101_000, 2 * LOT),
        order(2, BUY, 100_500, 3 * LOT),
        order(3, BUY, 100_000, 2 * LOT),
        order(4, BUY, 99_500, 4 * LOT),
        order(11, SELL, 99_000, 3 * LOT),
        order(12, SELL, 99_500, 2 * LOT),
        order(13, SELL, 100_000, 3 * LOT),
        order(14, SELL, 100_500, 4 * LOT),
    )


# -- price and volume ----------------------------------------------------------------------


def test_worked_example_trades_7000_shares_at_1000() -> None:
    """The worked example uncrosses at the maximum-volume price 1000.00 for 7000 shares."""
    result = worked_example().auction()
    assert (result.price_cents, result.volume) == (100_000, 7 * LOT)


def test_worked_example_fills_in_priority_order_at_one_price() -> None:
    """Bids fill best first against asks best first, every trade at the auction price."""
    result = worked_example().auction()
    assert result.trades == [
        Trade(1, 11, 100_000, 2 * LOT),
        Trade(2, 11, 100_000, LOT),
        Trade(2, 12, 100_000, 2 * LOT),
        Trade(3, 13, 100_000, 2 * LOT),
    ]


def test_worked_example_leaves_the_unfilled_orders_in_the_book() -> None:
    """The bid below and the asks at and above the price stay, with what is left of them."""
    book = worked_example()
    book.auction()
    assert snapshot(book) == [(4, 99_500, 4 * LOT), (13, 100_000, LOT), (14, 100_500, 4 * LOT)]
    assert not book.is_crossed()


def test_maximum_volume_wins_over_nearness_to_the_reference() -> None:
    """A reference at 990.00 does not pull the price off the 7000-share maximum at 1000.00."""
    result = worked_example(reference_cents=99_000).auction()
    assert (result.price_cents, result.volume) == (100_000, 7 * LOT)


def test_volume_is_the_smaller_of_cumulative_demand_and_supply_at_the_price() -> None:
    """At the chosen price the volume is min(bids at or above, asks at or below)."""
    book = rest_all(
        new_book(),
        order(1, BUY, 100_500, 5 * LOT),
        order(2, SELL, 100_000, 2 * LOT),
        order(3, SELL, 100_500, LOT),
    )
    result = book.auction()
    # 1005.00: demand 5000, supply 3000; 1000.00: demand 5000, supply 2000.
    assert (result.price_cents, result.volume) == (100_500, 3 * LOT)


def test_indicative_reports_the_auction_without_trading() -> None:
    """The trial match gives the auction's price and volume and leaves the book as it was."""
    book = worked_example()
    before = snapshot(book)
    assert book.indicative() == (100_000, 7 * LOT)
    assert snapshot(book) == before
    assert book.last_price_cents is None


def test_auction_sets_the_last_price() -> None:
    """An auction that trades sets the book's last trade price to the auction price."""
    book = worked_example()
    book.auction()
    assert book.last_price_cents == 100_000


def test_auction_fills_only_at_its_single_price() -> None:
    """Every fill of one auction prints at the same price, whatever the orders' limits."""
    book = rest_all(
        new_book(),
        order(1, BUY, 102_000, LOT),
        order(2, BUY, 101_000, LOT),
        order(3, SELL, 99_000, LOT),
        order(4, SELL, 98_000, LOT),
    )
    result = book.auction()
    assert {t.price_cents for t in result.trades} == {result.price_cents}
    assert sum(t.quantity for t in result.trades) == result.volume == 2 * LOT


# -- no trade ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "orders",
    [
        [],
        [order(1, BUY, 100_000, LOT)],
        [order(1, SELL, 100_000, LOT)],
        [order(1, BUY, 99_500, LOT), order(2, SELL, 100_000, LOT)],
    ],
    ids=["empty", "bids-only", "asks-only", "not-crossed"],
)
def test_an_uncrossed_book_does_not_trade(orders: list[BookOrder]) -> None:
    """Without a bid at or above an ask, the auction has no price and no trades."""
    book = rest_all(new_book(), *orders)
    before = snapshot(book)
    result = book.auction()
    assert (result.price_cents, result.volume, result.trades) == (None, 0, [])
    assert snapshot(book) == before
    assert book.last_price_cents is None


def test_an_uncrossed_book_has_no_indicative_price() -> None:
    """The trial match of an uncrossed book is (None, 0)."""
    book = rest_all(new_book(), order(1, BUY, 99_500, LOT), order(2, SELL, 100_000, LOT))
    assert book.indicative() == (None, 0)


def test_a_second_auction_finds_nothing_left_to_cross() -> None:
    """After an auction the book is uncrossed, so an immediate second one trades nothing."""
    book = worked_example()
    book.auction()
    assert book.auction().volume == 0


# -- tie-break -----------------------------------------------------------------------------


def two_orders(bid_cents: int, ask_cents: int, **book_args: int) -> Book:
    """One 1000-share bid and one 1000-share ask: every price between them trades 1000."""
    return rest_all(
        new_book(**book_args), order(1, BUY, bid_cents, LOT), order(2, SELL, ask_cents, LOT)
    )


@pytest.mark.parametrize(
    ("reference", "price"),
    [
        (100_000, 100_000),  # inside the range, at no order's price
        (99_500, 99_500),
        (101_000, 101_000),  # the bid's price
        (98_000, 99_000),  # below the range: its lowest price
        (103_000, 101_000),  # above the range: its highest price
    ],
)
def test_equal_volume_prices_are_settled_nearest_the_reference(reference: int, price: int) -> None:
    """Among prices with the same maximum volume, the one nearest the reference wins."""
    book = two_orders(101_000, 99_000, reference_cents=reference)
    assert book.auction().price_cents == price


def test_the_last_trade_price_outranks_the_reference_in_the_tie_break() -> None:
    """Once the session has traded, ties are settled nearest the last trade price."""
    book = two_orders(101_000, 99_000)
    book.last_price_cents = 100_500
    assert book.auction().price_cents == 100_500


def test_a_closing_auction_is_anchored_on_the_last_continuous_trade() -> None:
    """A trade in continuous trading becomes the anchor of the next auction."""
    book = new_book()
    book.submit(order(1, SELL, 99_500, LOT))
    book.submit(order(2, BUY, 99_500, LOT))
    rest_all(book, order(3, BUY, 101_000, LOT), order(4, SELL, 99_000, LOT))
    assert book.auction().price_cents == 99_500


def test_the_tie_break_only_chooses_among_prices_where_both_sides_clear() -> None:
    """With two bid levels the qualifying run is 995.00–1005.00, so the reference 1030.00
    gives 1005.00, not 1010.00 (where only 1000 shares would trade)."""
    book = rest_all(
        new_book(reference_cents=103_000),
        order(1, BUY, 100_500, LOT),
        order(2, BUY, 101_000, LOT),
        order(3, SELL, 99_500, 2 * LOT),
    )
    result = book.auction()
    assert (result.price_cents, result.volume) == (100_500, 2 * LOT)


# -- random ranking of pre-open orders -----------------------------------------------------


def pre_open_level(seed: int) -> Book:
    """Five pre-open bids at 1000.00, then a pre-open ask that takes all of them."""
    book = new_book(seed)
    for order_id in range(1, 6):
        book.rest(order(order_id, BUY, 100_000, LOT, pre_open=True))
    book.rest(order(9, SELL, 100_000, 5 * LOT, pre_open=True))
    return book


def test_pre_open_orders_at_one_price_fill_in_a_seeded_random_order() -> None:
    """Different seeds rank the same pre-open orders differently; arrival gives no place."""
    orders = {tuple(buy_ids(pre_open_level(seed).auction().trades)) for seed in SEEDS}
    assert all(sorted(o) == [1, 2, 3, 4, 5] for o in orders)
    assert len(orders) > 1
    assert any(o[0] != 1 for o in orders)


def test_the_same_seed_gives_the_same_pre_open_ranking() -> None:
    """The random ranking is reproducible from the book's seed."""
    first = buy_ids(pre_open_level(7).auction().trades)
    again = buy_ids(pre_open_level(7).auction().trades)
    assert first == again


@pytest.mark.parametrize("seed", SEEDS)
def test_orders_entered_after_the_open_keep_arrival_order(seed: int) -> None:
    """Same-price orders not entered before the open are never shuffled."""
    book = new_book(seed)
    for order_id in range(1, 6):
        book.rest(order(order_id, BUY, 100_000, LOT))
    book.rest(order(9, SELL, 100_000, 5 * LOT))
    assert buy_ids(book.auction().trades) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("seed", SEEDS)
def test_random_ranking_never_overrides_price_priority(seed: int) -> None:
    """A higher pre-open bid fills before any lower one, whatever the seed."""
    book = new_book(seed)
    for order_id in range(1, 4):
        book.rest(order(order_id, BUY, 100_000, LOT, pre_open=True))
    book.rest(order(4, BUY, 100_500, LOT, pre_open=True))
    book.rest(order(9, SELL, 100_000, 2 * LOT, pre_open=True))
    assert buy_ids(book.auction().trades)[0] == 4


@pytest.mark.parametrize("seed", SEEDS)
def test_pre_open_orders_rank_ahead_of_later_ones_at_their_price(seed: int) -> None:
    """With several pre-open orders at a price, all of them rank ahead of orders entered
    after the open there, which keep their arrival order among themselves."""
    book = rest_all(
        new_book(seed),
        order(1, BUY, 100_000, LOT),
        order(2, BUY, 100_000, LOT, pre_open=True),
        order(3, BUY, 100_000, LOT, pre_open=True),
        order(4, BUY, 100_000, LOT),
        order(9, SELL, 100_000, 4 * LOT),
    )
    filled = buy_ids(book.auction().trades)
    assert sorted(filled[:2]) == [2, 3]
    assert filled[2:] == [1, 4]


def test_a_lone_pre_open_order_ranks_ahead_of_a_later_one_at_its_price() -> None:
    """One pre-open order ranks ahead of an order entered after the open, as two would."""
    book = rest_all(
        new_book(),
        order(1, BUY, 100_000, LOT),
        order(2, BUY, 100_000, LOT, pre_open=True),
        order(9, SELL, 100_000, LOT),
    )
    assert buy_ids(book.auction().trades) == [2]


def test_an_auction_clears_the_pre_open_mark() -> None:
    """After the auction no resting order counts as entered before the open."""
    book = pre_open_level(0)
    book.rest(order(6, BUY, 99_000, LOT, pre_open=True))
    book.auction()
    assert [o.entered_pre_open for o in book.resting()] == [False]


def test_the_random_ranking_is_drawn_once() -> None:
    """An auction that does not trade still fixes the ranking; later auctions keep it."""
    rng = random.Random(3)
    book = Book(
        "2330",
        reference_cents=REFERENCE,
        limit_down_cents=LIMIT_DOWN,
        limit_up_cents=LIMIT_UP,
        rng=rng,
    )
    for order_id in range(1, 6):
        book.rest(order(order_id, BUY, 100_000, LOT, pre_open=True))
    assert book.auction().volume == 0
    ranked = [o.order_id for o in book.resting()]
    rng.seed(99)
    book.rest(order(9, SELL, 100_000, 5 * LOT))
    assert buy_ids(book.auction().trades) == ranked


# -- property: Art. 58-3 ¶2 against a brute-force search ------------------------------------

GRID = list(range(97_000, 103_001, TICK))
CANDIDATES = range(LIMIT_DOWN, LIMIT_UP + 1, TICK)

orders_strategy = st.lists(
    st.tuples(st.sampled_from([BUY, SELL]), st.sampled_from(GRID), st.integers(1, 5)),
    max_size=12,
)


def brute_force(
    orders: list[BookOrder], anchor: int
) -> tuple[int, set[int], int] | tuple[int, None, None]:
    """(maximum volume, the prices that reach it under Art. 58-3 ¶2, their nearest distance
    to the anchor), trying every tick between the daily limits."""

    bids = [(o.price_cents, o.remaining) for o in orders if o.side is BUY]
    asks = [(o.price_cents, o.remaining) for o in orders if o.side is SELL]
    volumes: dict[int, int] = {}
    for p in CANDIDATES:
        volume = min(sum(q for b, q in bids if b >= p), sum(q for a, q in asks if a <= p))
        bids_above = sum(q for b, q in bids if b > p)
        asks_below = sum(q for a, q in asks if a < p)
        if bids_above <= volume and asks_below <= volume:
            volumes[p] = volume
    best = max(volumes.values(), default=0)
    if best == 0:
        return 0, None, None
    qualifying = {p for p, v in volumes.items() if v == best}
    return best, qualifying, min(abs(p - anchor) for p in qualifying)


@settings(max_examples=200, deadline=None)
@given(
    specs=orders_strategy,
    reference=st.sampled_from(list(CANDIDATES)),
    last=st.none() | st.sampled_from(list(CANDIDATES)),
)
def test_auction_price_follows_art_58_3(
    specs: list[tuple[Side, int, int]], reference: int, last: int | None
) -> None:
    """The price maximises volume over every tick, fills all bids above and asks below it,
    clears one side at it, and is the qualifying price nearest the anchor."""
    orders = [order(i, side, price, lots * LOT) for i, (side, price, lots) in enumerate(specs)]
    original = {o.order_id: o.remaining for o in orders}
    book = rest_all(new_book(reference_cents=reference), *orders)
    book.last_price_cents = last
    anchor = reference if last is None else last
    best, qualifying, distance = brute_force(orders, anchor)
    indicative = book.indicative()

    result = book.auction()

    assert indicative == (result.price_cents, result.volume)
    if qualifying is None:
        assert (result.price_cents, result.volume, result.trades) == (None, 0, [])
        return
    price = result.price_cents
    assert price is not None
    assert result.volume == best
    assert price in qualifying
    assert abs(price - anchor) == distance
    assert {t.price_cents for t in result.trades} == {price}
    assert sum(t.quantity for t in result.trades) == best
    left = {o.order_id: o.remaining for o in book.resting()}
    filled = {i: original[i] - left.get(i, 0) for i in original}
    for o in orders:
        if (o.side is BUY and o.price_cents > price) or (o.side is SELL and o.price_cents < price):
            assert filled[o.order_id] == original[o.order_id], "must fill completely"
        if (o.side is BUY and o.price_cents < price) or (o.side is SELL and o.price_cents > price):
            assert filled[o.order_id] == 0, "cannot trade beyond its limit"
    at_price = [o for o in orders if o.price_cents == price]
    assert any(
        all(filled[o.order_id] == original[o.order_id] for o in at_price if o.side is side)
        for side in (BUY, SELL)
    ), "one side at the auction price must fill completely"
    traded = {t.buy_id: 0 for t in result.trades} | {t.sell_id: 0 for t in result.trades}
    for t in result.trades:
        traded[t.buy_id] += t.quantity
        traded[t.sell_id] += t.quantity
    assert traded == {i: q for i, q in filled.items() if q}
    assert not book.is_crossed()
    assert book.last_price_cents == price


@settings(max_examples=200, deadline=None)
@given(specs=orders_strategy)
def test_auction_fills_each_side_in_price_then_arrival_order(
    specs: list[tuple[Side, int, int]],
) -> None:
    """Without pre-open orders, fills go down each side's queue: best price first, then the
    earliest order, and no order fills before a better-ranked one is used up."""
    orders = [order(i, side, price, lots * LOT) for i, (side, price, lots) in enumerate(specs)]
    book = rest_all(new_book(), *orders)
    trades = book.auction().trades
    for side, sign, ids in ((BUY, -1, buy_ids(trades)), (SELL, 1, [t.sell_id for t in trades])):
        queue = sorted(
            (o for o in orders if o.side is side), key=lambda o: (sign * o.price_cents, o.order_id)
        )
        used = list(dict.fromkeys(ids))
        assert used == [o.order_id for o in queue[: len(used)]]


@settings(max_examples=100, deadline=None)
@given(specs=orders_strategy, seeds=st.tuples(st.integers(0, 2**32), st.integers(0, 2**32)))
def test_the_random_ranking_changes_who_fills_but_not_price_or_volume(
    specs: list[tuple[Side, int, int]], seeds: tuple[int, int]
) -> None:
    """Pre-open shuffling never changes the auction price or volume."""
    results = []
    for seed in seeds:
        book = new_book(seed)
        for i, (side, price, lots) in enumerate(specs):
            book.rest(order(i, side, price, lots * LOT, pre_open=True))
        result = book.auction()
        results.append((result.price_cents, result.volume))
    assert results[0] == results[1]
