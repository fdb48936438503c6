"""One symbol's limit order book: price-time priority, continuous matching, and the call
auction (TWSE Operating Rules Art. 58-2, 58-3).

Prices are integer hundredths of a TWD. Each side keeps a FIFO queue per price level and a
sorted list of its prices; the best price is found by index, so matching costs O(fills)
plus O(log levels) per new level. Same-price orders entered before the open are shuffled
with the book's seeded random generator when the opening auction runs, so arriving first
before 09:00 buys no queue place.

A market order sweeps up to the limit price of its side (limit-up for a buy, limit-down
for a sell). The unfilled rest of a ROD market order then rests at its converted reference
price (Art. 58-8: for a buy the highest of the last trade or reference, the best bid and
the best ask; for a sell the lowest), ahead of limit orders at that price, and trades
there when hit. Simplification: the converted price is fixed when the order rests, so a
limit order priced better later ranks ahead of it.
"""

from __future__ import annotations

import random
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import msgspec

from tradeburst.model import Side, TimeInForce

__all__ = ["AuctionResult", "Book", "BookOrder", "Trade"]

# Read for every order, as module constants: on Python 3.11 `Side.BUY` goes through the
# enum metaclass's attribute hook, several times the cost of a global.
_BUY = Side.BUY
_ROD = TimeInForce.ROD
_FOK = TimeInForce.FOK


class BookOrder(msgspec.Struct, kw_only=True, eq=False, gc=False):
    """The part of an order the book needs; `remaining` falls as the order fills. Equal
    only to itself (a queue removes this very order); a struct, not a dataclass, because
    one is made per order and a struct is built several times faster."""

    order_id: int
    side: Side
    price_cents: int
    remaining: int
    time_in_force: TimeInForce = TimeInForce.ROD
    is_market: bool = False
    entered_pre_open: bool = False


class Trade(msgspec.Struct, frozen=True, gc=False):
    buy_id: int
    sell_id: int
    price_cents: int
    quantity: int


@dataclass(frozen=True, slots=True)
class AuctionResult:
    price_cents: int | None
    volume: int
    trades: list[Trade] = field(default_factory=list)
    reranked: list[int] = field(default_factory=list)
    """Ids of the orders still resting at the price levels the random ranking of pre-open
    orders reordered, in their new queue order, level by level."""


class _Side:
    """Price levels of one side; `prices` ascending, best at the end for bids."""

    __slots__ = ("is_bid", "levels", "prices")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[int, deque[BookOrder]] = {}
        self.prices: list[int] = []

    def best(self) -> int | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def prices_best_first(self) -> Iterator[int]:
        return reversed(self.prices) if self.is_bid else iter(self.prices)

    def append(self, order: BookOrder) -> None:
        level = self.levels.get(order.price_cents)
        if level is None:
            level = self.levels[order.price_cents] = deque()
            insort(self.prices, order.price_cents)
        if order.is_market:
            # Art. 58-8: a market order ranks ahead of limit orders at its price.
            ahead = next((i for i, o in enumerate(level) if not o.is_market), len(level))
            level.insert(ahead, order)
        else:
            level.append(order)

    def remove(self, order: BookOrder) -> None:
        level = self.levels[order.price_cents]
        level.remove(order)
        if not level:
            self._drop_level(order.price_cents)

    def _drop_level(self, price: int) -> None:
        del self.levels[price]
        del self.prices[bisect_left(self.prices, price)]

    def pop_front_if_empty(self, price: int) -> None:
        if not self.levels[price]:
            self._drop_level(price)

    def quantity_at_or_better(self, limit: int) -> int:
        """Shares resting at prices that a counter order limited at `limit` can reach."""
        total = 0
        for price in self.prices_best_first():
            if (price < limit) if self.is_bid else (price > limit):
                break
            total += sum(o.remaining for o in self.levels[price])
        return total

    def depth(self, levels: int) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for price in self.prices_best_first():
            if len(out) == levels:
                break
            out.append((price, sum(o.remaining for o in self.levels[price])))
        return out


class Book:
    """A limit order book for one symbol. All prices are integer cents."""

    def __init__(
        self,
        symbol: str,
        *,
        reference_cents: int,
        limit_down_cents: int,
        limit_up_cents: int,
        rng: random.Random,
    ) -> None:
        self.symbol = symbol
        self.reference_cents = reference_cents
        self.limit_down_cents = limit_down_cents
        self.limit_up_cents = limit_up_cents
        self.last_price_cents: int | None = None
        self._rng = rng
        self._bids = _Side(is_bid=True)
        self._asks = _Side(is_bid=False)
        self._orders: dict[int, BookOrder] = {}
        self.met_cents: tuple[int | None, int | None] = (None, None)
        """The best bid and ask the last trades met: standing when the order that made
        them came in, or when the auction that made them began."""

    # -- inspection ---------------------------------------------------------------------

    def __contains__(self, order_id: int) -> bool:
        return order_id in self._orders

    def get(self, order_id: int) -> BookOrder | None:
        return self._orders.get(order_id)

    def best_bid(self) -> int | None:
        return self._bids.best()

    def best_ask(self) -> int | None:
        return self._asks.best()

    def depth(self, levels: int = 5) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Up to `levels` (price, shares) per side, best first: (bids, asks)."""
        return self._bids.depth(levels), self._asks.depth(levels)

    def resting(self) -> list[BookOrder]:
        """Every resting order, in priority order per side (bids, then asks)."""
        out: list[BookOrder] = []
        for side in (self._bids, self._asks):
            for price in side.prices_best_first():
                out.extend(side.levels[price])
        return out

    def is_crossed(self) -> bool:
        bid, ask = self.best_bid(), self.best_ask()
        return bid is not None and ask is not None and bid >= ask

    # -- order entry --------------------------------------------------------------------

    def rest(self, order: BookOrder) -> None:
        """Queue an order without matching (call phases)."""
        self._side(order.side).append(order)
        self._orders[order.order_id] = order

    def submit(self, order: BookOrder) -> list[Trade]:
        """Match an incoming order in continuous trading, then rest or drop its rest.

        IOC drops what does not fill at once; FOK fills completely or not at all.
        """
        is_buy = order.side is _BUY
        contra = self._asks if is_buy else self._bids
        if (
            order.time_in_force is _FOK
            and contra.quantity_at_or_better(order.price_cents) < order.remaining
        ):
            return []
        trades = self._sweep(order, contra)
        if trades:
            # The other side's best was the first trade's price; this side's still stands.
            own, met = self._side(order.side).best(), trades[0].price_cents
            self.met_cents = (own, met) if is_buy else (met, own)
        if order.remaining and order.time_in_force is _ROD:
            if order.is_market:
                order.price_cents = self._converted_price(order.side)
            self.rest(order)
        return trades

    def _converted_price(self, side: Side) -> int:
        """Art. 58-8: a resting market buy is priced at the highest of the last trade (or
        the reference), the best bid and the best ask; a sell at the lowest of them."""
        candidates = [self.last_price_cents or self.reference_cents]
        candidates += [p for p in (self.best_bid(), self.best_ask()) if p is not None]
        price = max(candidates) if side is Side.BUY else min(candidates)
        return min(max(price, self.limit_down_cents), self.limit_up_cents)

    def cancel(self, order_id: int) -> BookOrder | None:
        order = self._orders.pop(order_id, None)
        if order is not None:
            self._side(order.side).remove(order)
        return order

    def reduce(self, order_id: int, new_remaining: int) -> None:
        """Lower a resting order's open quantity, keeping its queue place."""
        order = self._orders[order_id]
        if not 0 < new_remaining <= order.remaining:
            raise ValueError(f"cannot change open quantity {order.remaining} to {new_remaining}")
        order.remaining = new_remaining

    # -- auctions -----------------------------------------------------------------------

    def indicative(self) -> tuple[int | None, int]:
        """The price and volume an auction would trade now (the trial match)."""
        price, volume = self._auction_price()
        return price, volume

    def auction(self) -> AuctionResult:
        """Uncross the book at one price; pre-open same-price orders are ranked at random."""
        shuffled = self._shuffle_pre_open()
        price, volume = self._auction_price()
        if price is None:
            return AuctionResult(price_cents=None, volume=0, reranked=self._still_in(shuffled))
        trades: list[Trade] = []
        self.met_cents = (self._bids.best(), self._asks.best())
        left = volume
        while left:
            bid_price, ask_price = self._bids.best(), self._asks.best()
            assert bid_price is not None and ask_price is not None
            buy = self._bids.levels[bid_price][0]
            sell = self._asks.levels[ask_price][0]
            quantity = min(buy.remaining, sell.remaining, left)
            trades.append(Trade(buy.order_id, sell.order_id, price, quantity))
            left -= quantity
            self._take(buy, quantity, self._bids)
            self._take(sell, quantity, self._asks)
        self.last_price_cents = price
        return AuctionResult(
            price_cents=price, volume=volume, trades=trades, reranked=self._still_in(shuffled)
        )

    def _still_in(self, order_ids: list[int]) -> list[int]:
        return [order_id for order_id in order_ids if order_id in self._orders]

    # -- internals ----------------------------------------------------------------------

    def _side(self, side: Side) -> _Side:
        return self._bids if side is _BUY else self._asks

    def _sweep(self, order: BookOrder, contra: _Side) -> list[Trade]:
        trades: list[Trade] = []
        is_buy = order.side is _BUY
        while order.remaining:
            best = contra.best()
            if best is None or (best > order.price_cents if is_buy else best < order.price_cents):
                break
            resting = contra.levels[best][0]
            quantity = min(order.remaining, resting.remaining)
            buy_id, sell_id = (
                (order.order_id, resting.order_id) if is_buy else (resting.order_id, order.order_id)
            )
            trades.append(Trade(buy_id, sell_id, best, quantity))
            order.remaining -= quantity
            self._take(resting, quantity, contra)
            self.last_price_cents = best
        return trades

    def _take(self, resting: BookOrder, quantity: int, side: _Side) -> None:
        resting.remaining -= quantity
        if not resting.remaining:
            price = resting.price_cents
            side.levels[price].popleft()
            side.pop_front_if_empty(price)
            del self._orders[resting.order_id]

    def _shuffle_pre_open(self) -> list[int]:
        """Orders entered before the open go first at their price, in random order; the
        ids of every order at the levels whose order changed, in their new order."""
        reordered: list[int] = []
        for side in (self._bids, self._asks):
            for level in side.levels.values():
                early = [o for o in level if o.entered_pre_open]
                if not early:
                    continue
                before = [o.order_id for o in level]
                self._rng.shuffle(early)
                late = [o for o in level if not o.entered_pre_open]
                level.clear()
                level.extend(early)
                level.extend(late)
                for order in early:
                    order.entered_pre_open = False
                after = [o.order_id for o in level]
                if after != before:
                    reordered.extend(after)
        return reordered

    def _auction_price(self) -> tuple[int | None, int]:
        """Art. 58-3 ¶2: maximise volume; every bid above and ask below the price fills;
        among the rest, the price nearest the last trade (or the reference)."""
        bid_prices = sorted(self._bids.levels, reverse=True)
        ask_prices = sorted(self._asks.levels)
        if not bid_prices or not ask_prices or bid_prices[0] < ask_prices[0]:
            return None, 0
        anchor = (
            self.last_price_cents if self.last_price_cents is not None else self.reference_cents
        )
        candidates = {p for p in (*bid_prices, *ask_prices) if ask_prices[0] <= p <= bid_prices[0]}
        if ask_prices[0] <= anchor <= bid_prices[0]:
            candidates.add(anchor)
        bid_qty = {p: sum(o.remaining for o in self._bids.levels[p]) for p in bid_prices}
        ask_qty = {p: sum(o.remaining for o in self._asks.levels[p]) for p in ask_prices}
        best: tuple[int, int, int] | None = None  # (volume, -distance, price)
        for price in candidates:
            demand_above = sum(q for p, q in bid_qty.items() if p > price)
            supply_below = sum(q for p, q in ask_qty.items() if p < price)
            demand = demand_above + bid_qty.get(price, 0)
            supply = supply_below + ask_qty.get(price, 0)
            volume = min(demand, supply)
            if volume == 0 or demand_above > volume or supply_below > volume:
                continue
            key = (volume, -abs(price - anchor), price)
            if best is None or key > best:
                best = key
        if best is None:
            return None, 0
        return best[2], best[0]
