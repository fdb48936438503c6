"""Loading what a previous run stored: today's orders and fills come back, working orders
in their books in their old priority, with the day's volume and last price; earlier days
only move the numbering on (sequence, order and fill numbers are never reused)."""

from __future__ import annotations

from collections.abc import Iterable

from tradeburst.exchange._book import BookOrder
from tradeburst.exchange._market_state import MarketState
from tradeburst.model import PriceType, Side
from tradeburst.rules import to_cents
from tradeburst.wire import FilledData, OrderResult

__all__ = ["Restore"]


class Restore(MarketState):
    def restore(
        self,
        records: Iterable[OrderResult],
        fills: Iterable[FilledData],
        synced_ns: int | None = None,
    ) -> None:
        """Load what a previous run stored. Today's orders and fills come back, working
        orders in their books in their old priority, with the day's volume and last price;
        earlier days only move the numbering on. Phase changes between the last stored
        activity (an order, a fill, or `synced_ns`, the last phase change carried out) and
        now run on the next `sync`, and only those."""
        today = self._today()
        todays_records = []
        for record in sorted(records, key=lambda r: r.seq_no):
            self._next_seq = max(self._next_seq, int(record.seq_no) + 1)
            if record.order_no is not None:
                self._next_order = max(self._next_order, int(record.order_no, 36) + 1)
            if record.date == today:
                todays_records.append(record)
        todays_fills = []
        for fill in sorted(fills, key=lambda f: f.filled_no):
            self._next_fill = max(self._next_fill, int(fill.filled_no) + 1)
            if fill.date == today:
                todays_fills.append(fill)
        activity = [r.received_ns for r in todays_records] + [f.filled_ns for f in todays_fills]
        if synced_ns is not None and self.schedule.day_of(synced_ns).date_text == today:
            activity.append(synced_ns)
        last_activity_ns = max(activity, default=self.clock.now_ns())
        open_pending = self.schedule.resume_from(last_activity_ns)
        for record in todays_records:
            seq = int(record.seq_no)
            self._records[seq] = record
            self._by_account[record.account].append(record)
            if record.order_no is not None:
                self._by_order_no[record.order_no] = seq
            self._next_queue = max(self._next_queue, record.queue_seq + 1)
        # Back in the books in the order they last entered them: a repriced order behind
        # those that were at its new price before it.
        for record in sorted(todays_records, key=lambda r: r.queue_seq):
            if record.open_qty > 0 and record.stock_no in self.books:
                book_order = _book_order_of(record)
                book_order.entered_pre_open = open_pending
                self.books[record.stock_no].rest(book_order)
        for fill in todays_fills:
            self._fills[fill.account].append(fill)
            book = self.books.get(fill.stock_no)
            if book is not None and fill.buy_sell is Side.BUY:
                # Every trade fills one buy and one sell; count it once, on the buy.
                self._volume[fill.stock_no] += fill.filled_qty
                book.last_price_cents = to_cents(fill.filled_price)


def _book_order_of(record: OrderResult) -> BookOrder:
    assert record.after_price is not None  # a resting market order keeps its price
    price = record.after_price
    return BookOrder(
        order_id=int(record.seq_no),
        side=record.buy_sell,
        price_cents=to_cents(price),
        remaining=record.open_qty,
        time_in_force=record.time_in_force,
        is_market=record.after_price_type is PriceType.MARKET,
    )
