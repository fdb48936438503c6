"""The matching venue: every book, every order record, the session phases and auctions.

`Market` turns validated orders into Fubon-shaped `OrderResult` records, matches them in
their symbol's `Book`, and tells its listeners about each change (persistence, streams,
market data). It is synchronous and single-threaded: the server calls it from the event
loop, so one request is one atomic step and the book can never be seen half-matched.

Phase changes happen lazily: each call first brings the market up to the clock's time,
running the opening auction at 09:00, dropping resting market orders at 13:25 and running
the closing auction at 13:30, in that order, for whatever boundaries time has passed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from tradeburst.errors import TradeburstError
from tradeburst.exchange._accounts import Account
from tradeburst.exchange._admission import EntryCheck, price_problem
from tradeburst.exchange._book import Book, BookOrder, Trade
from tradeburst.exchange._clock import Clock
from tradeburst.exchange._events import Listeners, TradePrint
from tradeburst.exchange._fill_records import fill_record
from tradeburst.exchange._prices import price_of_cents
from tradeburst.exchange._schedule import Change, Schedule
from tradeburst.exchange._symbols import Symbol
from tradeburst.model import (
    FunctionType,
    Order,
    OrderStatus,
    PriceType,
    Side,
)
from tradeburst.rules import (
    Phase,
    from_cents,
    quantity_problem,
    to_cents,
)
from tradeburst.wire import FilledData, OrderResult

__all__ = ["Market", "Refusal", "order_no_text"]

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Enum members and properties read for every order, as module constants: on Python 3.11
# `PriceType.LIMIT` goes through the enum metaclass's attribute hook, several times the
# cost of a global, and an order reads a dozen.
_LIMIT = PriceType.LIMIT
_MARKET = PriceType.MARKET
_ACCEPTED = OrderStatus.ACCEPTED
_SENT_TO_BACKEND = OrderStatus.SENT_TO_BACKEND
_NEW = FunctionType.NEW
_IS_CALL = {phase: phase.is_call for phase in Phase}


def order_no_text(number: int) -> str:
    """Fubon-style 5-character order number (base 36) for the day's `number`-th order."""
    # Spelled out rather than looped: it runs once per accepted order.
    digits = _BASE36
    return (
        digits[number // 1_679_616 % 36]
        + digits[number // 46_656 % 36]
        + digits[number // 1_296 % 36]
        + digits[number // 36 % 36]
        + digits[number % 36]
    )


class Refusal(TradeburstError):
    """The exchange refuses a change to an order; carries Fubon's failure status."""

    def __init__(self, message: str, status: OrderStatus) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Market:
    def __init__(
        self,
        symbols: dict[str, Symbol],
        clock: Clock,
        *,
        always_open: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.symbols = symbols
        self.clock = clock
        self.listeners = Listeners()
        self._rng = rng or random.Random()
        self.books = {code: self._new_book(symbol) for code, symbol in symbols.items()}
        self._entry = EntryCheck(symbols)
        self._records: dict[int, OrderResult] = {}
        self._by_order_no: dict[str, int] = {}
        self._by_account: dict[str, list[OrderResult]] = defaultdict(list)
        self._fills: dict[str, list[FilledData]] = defaultdict(list)
        self._volume: dict[str, int] = defaultdict(int)
        self._next_seq = 1
        self._next_order = 1
        self._next_fill = 1
        self._next_queue = 1
        self._text_ms = -1
        self._text = ""
        self.schedule = Schedule(clock, always_open=always_open)
        self._changes = {
            Change.OPENING_AUCTION: self._open_auction,
            Change.CLOSING_CALL: self._drop_market_orders,
            Change.CLOSING_AUCTION: self._close_auction,
            Change.NEW_DAY: self._start_day,
        }

    # -- time and phases ------------------------------------------------------------------

    @property
    def day(self) -> date:
        """The trading day the books belong to."""
        return self.schedule.day

    def phase(self) -> Phase:
        """The phase as of the last `sync`: one request is checked and matched under one
        phase, never accepted under one and matched under the next."""
        return self.schedule.synced_phase()

    def sync(self) -> None:
        """Carry out every phase change that has come due: the auctions, dropping resting
        market orders when the closing call starts, and a new day with empty books."""
        applied = False
        for change in self.schedule.due():
            self._changes[change]()
            applied = True
        if applied:
            for changes_applied in self.listeners.changes_applied:
                changes_applied(self.schedule.synced_ns)

    def next_boundary_ns(self) -> int | None:
        """Exchange time of the next phase change (or of the next day), None if always open."""
        return self.schedule.next_change_ns()

    def _start_day(self) -> None:
        """Day orders end with their day: a new day starts with empty books and lists, and
        whoever follows a book (the book stream, a shared-memory feed) is told it is empty."""
        self.books = {code: self._new_book(symbol) for code, symbol in self.symbols.items()}
        self._records.clear()
        self._by_order_no.clear()
        self._by_account.clear()
        self._fills.clear()
        self._volume.clear()
        for book in self.books.values():
            self._book_changed(book)

    def _open_auction(self) -> None:
        self._run_auctions(flag="isOpen")

    def _close_auction(self) -> None:
        self._run_auctions(flag="isClose")

    def _run_auctions(self, flag: str) -> None:
        for book in self.books.values():
            result = book.auction()
            if result.trades:
                self._apply_trades(book, result.trades, flag)
                self._book_changed(book)
            self._requeue(result.reranked)

    def _requeue(self, order_ids: list[int]) -> None:
        """Number anew, in their new order, the orders the auction's random ranking of
        pre-open orders reordered (it lives only in the book), so a restart rebuilds it."""
        for order_id in order_ids:
            record = self._records[order_id]
            record.queue_seq = self._next_queue
            self._next_queue += 1
            for requeued in self.listeners.requeued:
                requeued(record)

    def _drop_market_orders(self) -> None:
        for book in self.books.values():
            dropped = [o for o in book.resting() if o.is_market]
            for resting in dropped:
                book.cancel(resting.order_id)
                self._finish_unfilled(self._records[resting.order_id])
            if dropped:
                self._book_changed(book)

    # -- queries --------------------------------------------------------------------------

    def orders_of(self, account: Account, user_def: str | None = None) -> list[OrderResult]:
        records = self._by_account.get(account.account, [])
        if user_def is None:
            return list(records)
        return [r for r in records if r.user_def == user_def]

    def owns(self, account: Account, order_no: str) -> bool:
        seq = self._by_order_no.get(order_no)
        return seq is not None and self._records[seq].account == account.account

    def fills_of(self, account: Account) -> list[FilledData]:
        return list(self._fills.get(account.account, []))

    def all_orders(self) -> Iterable[OrderResult]:
        return self._records.values()

    def volume(self, symbol: str) -> int:
        return self._volume[symbol]

    # -- order entry ----------------------------------------------------------------------

    def place(self, account: Account, order: Order, received_ns: int) -> OrderResult:
        """Accept or reject one order; an accepted order is matched at once if it can be."""
        self.sync()
        return self._place(account, order, received_ns, self.phase())

    def place_batch(
        self, account: Account, orders: Iterable[Order], received_ns: int
    ) -> list[OrderResult]:
        """Place the orders of one batch request, in order, under one phase: the request is
        one step, so a phase change that comes due meanwhile runs after it, not inside it."""
        self.sync()
        phase = self.phase()
        return [self._place(account, order, received_ns, phase) for order in orders]

    def _place(self, account: Account, order: Order, received_ns: int, phase: Phase) -> OrderResult:
        problem, price_cents = self._entry.problem(order, phase)
        seq, record = self._new_record(account, order, received_ns)
        if problem is not None:
            record.status = OrderStatus.FAILED
            record.function_type = FunctionType.FAILED
            record.after_qty = 0
            record.error_message = problem
            self._changed(record)
            return record
        record.order_no = order_no = order_no_text(self._next_order)
        self._next_order += 1
        self._by_order_no[order_no] = seq
        record.status = _ACCEPTED
        price_type = order.price_type
        if price_type is not _LIMIT and price_type is not _MARKET:
            record.after_price = price_of_cents(price_cents)
        self._changed(record)
        book_order = BookOrder(
            order_id=seq,
            side=order.side,
            price_cents=price_cents,
            remaining=order.quantity,
            time_in_force=order.time_in_force,
            is_market=price_type is _MARKET,
        )
        self._enter(self.books[order.symbol], book_order, record, phase)
        return record

    def cancel(self, account: Account, order_no: str) -> OrderResult:
        self.sync()
        record = self._owned(account, order_no)
        if record.open_qty == 0:
            raise Refusal(
                f"order {order_no} can no longer be cancelled (status {record.status.value})",
                OrderStatus.CANCEL_FAILED,
            )
        self._require_open_market(OrderStatus.CANCEL_FAILED)
        book = self.books[record.stock_no]
        book.cancel(int(record.seq_no))
        record.function_type = FunctionType.CANCEL
        record.before_qty = record.after_qty
        self._finish_unfilled(record)
        self._book_changed(book)
        return record

    def modify_price(
        self,
        account: Account,
        order_no: str,
        *,
        price: Decimal | None = None,
        price_type: PriceType = PriceType.LIMIT,
    ) -> OrderResult:
        """Reprice a limit order; it loses its queue place, as a cancel and a new order."""
        self.sync()
        failed = OrderStatus.MODIFY_PRICE_FAILED
        record = self._owned(account, order_no)
        if record.open_qty == 0:
            raise Refusal(f"order {order_no} is no longer working", failed)
        if record.after_price_type is PriceType.MARKET or price_type is PriceType.MARKET:
            raise Refusal(
                "a market order cannot be repriced, nor a limit order made market", failed
            )
        self._require_open_market(failed)
        symbol = self.symbols[record.stock_no]
        problem, new_cents = price_problem(symbol, price_type, price)
        if problem is not None:
            raise Refusal(problem, failed)
        new_price = from_cents(new_cents)
        if new_price == record.after_price:
            raise Refusal(f"the new price {new_price} is the order's current price", failed)
        book = self.books[record.stock_no]
        old = book.cancel(int(record.seq_no))
        assert old is not None
        record.function_type = FunctionType.MODIFY_PRICE
        record.before_price = record.after_price
        record.after_price = new_price
        record.after_price_type = price_type
        record.last_time = self._now_text()
        self._changed(record)
        old.price_cents = new_cents
        self._enter(book, old, record, self.phase())
        return record

    def modify_quantity(self, account: Account, order_no: str, quantity: int) -> OrderResult:
        """Reduce an order to `quantity` shares, counting what has filled; keeps its place."""
        self.sync()
        failed = OrderStatus.MODIFY_QUANTITY_FAILED
        record = self._owned(account, order_no)
        if record.open_qty == 0:
            raise Refusal(f"order {order_no} is no longer working", failed)
        if not record.filled_qty <= quantity < record.after_qty:
            raise Refusal(
                f"quantity can only be reduced: {quantity} is not between the filled "
                f"{record.filled_qty} and the current {record.after_qty} shares",
                failed,
            )
        if quantity > record.filled_qty:
            problem = quantity_problem(quantity - record.filled_qty, record.market_type)
            if problem is not None:
                raise Refusal(problem, failed)
        self._require_open_market(failed)
        record.function_type = FunctionType.MODIFY_QUANTITY
        record.before_qty = record.after_qty
        book = self.books[record.stock_no]
        if quantity == record.filled_qty:
            book.cancel(int(record.seq_no))
            self._finish_unfilled(record)
        else:
            book.reduce(int(record.seq_no), quantity - record.filled_qty)
            record.after_qty = quantity
            record.last_time = self._now_text()
            self._changed(record)
        self._book_changed(book)
        return record

    # -- persistence ----------------------------------------------------------------------

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
                book_order = self._book_order_of(record)
                book_order.entered_pre_open = open_pending
                self.books[record.stock_no].rest(book_order)
        for fill in todays_fills:
            self._fills[fill.account].append(fill)
            book = self.books.get(fill.stock_no)
            if book is not None and fill.buy_sell is Side.BUY:
                # Every trade fills one buy and one sell; count it once, on the buy.
                self._volume[fill.stock_no] += fill.filled_qty
                book.last_price_cents = to_cents(fill.filled_price)

    def _book_order_of(self, record: OrderResult) -> BookOrder:
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

    # -- internals ------------------------------------------------------------------------

    def _new_book(self, symbol: Symbol) -> Book:
        return Book(
            symbol.code,
            reference_cents=to_cents(symbol.band.reference_twd),
            limit_down_cents=to_cents(symbol.band.limit_down_twd),
            limit_up_cents=to_cents(symbol.band.limit_up_twd),
            rng=self._rng,
        )

    def _today(self) -> str:
        return self.schedule.day_of(self.clock.now_ns()).date_text

    def _now_text(self) -> str:
        return self._time_text(self.clock.now_ns())

    def _time_text(self, moment_ns: int) -> str:
        """`last_time` of `moment_ns`, kept while the millisecond lasts: a burst's orders
        mostly share one. A day starts on a whole millisecond, so the day is the same too."""
        ms = moment_ns // 1_000_000
        if ms != self._text_ms:
            self._text_ms = ms
            self._text = self.schedule.day_of(moment_ns).clock_text(moment_ns)
        return self._text

    def _new_record(
        self, account: Account, order: Order, received_ns: int
    ) -> tuple[int, OrderResult]:
        """A new order's sequence number and record, as sent to the backend (a new order:
        the function type is `NEW` until it is refused)."""
        seq = self._next_seq
        self._next_seq += 1
        now_ns = self.clock.now_ns()  # one reading: the record's date and time agree
        day = self.schedule.day_of(now_ns)
        record = OrderResult(
            function_type=_NEW,
            date=day.date_text,
            seq_no=f"{seq:011d}",
            branch_no=account.branch_no,
            account=account.account,
            order_no=None,
            market_type=order.market_type,
            stock_no=order.symbol,
            buy_sell=order.side,
            price_type=order.price_type,
            price=order.price_twd,
            quantity=order.quantity,
            time_in_force=order.time_in_force,
            order_type=order.order_type,
            status=_SENT_TO_BACKEND,
            after_price_type=order.price_type,
            after_price=order.price_twd,
            after_qty=order.quantity,
            user_def=order.user_def,
            last_time=self._time_text(now_ns),
            received_ns=received_ns,
        )
        self._records[seq] = record
        self._by_account[account.account].append(record)
        return seq, record

    def _owned(self, account: Account, order_no: str) -> OrderResult:
        seq = self._by_order_no.get(order_no)
        record = self._records.get(seq) if seq is not None else None
        if record is None or record.account != account.account:
            raise KeyError(order_no)
        return record

    def _require_open_market(self, failed: OrderStatus) -> None:
        if not self.phase().accepts_orders:
            raise Refusal("the market is closed (orders are taken 08:30-13:30)", failed)

    def _enter(self, book: Book, book_order: BookOrder, record: OrderResult, phase: Phase) -> None:
        """Queue the order (call phases) or match it (continuous trading) under `phase`,
        the request's phase."""
        record.queue_seq = self._next_queue
        self._next_queue += 1
        if _IS_CALL[phase]:
            book_order.entered_pre_open = phase is Phase.PRE_OPEN
            book.rest(book_order)
        else:
            self._apply_trades(book, book.submit(book_order))
            if book_order.remaining and book_order.order_id not in book:
                self._finish_unfilled(record)
            elif book_order.is_market and book_order.order_id in book:
                # It rests at its converted reference price; the record keeps it.
                record.after_price = price_of_cents(book_order.price_cents)
                self._changed(record)
        self._book_changed(book)

    def _finish_unfilled(self, record: OrderResult) -> None:
        """The rest of an order is gone (cancel, IOC/FOK remainder, dropped market order)."""
        record.status = (
            OrderStatus.PARTLY_FILLED_CANCELLED if record.filled_qty else OrderStatus.CANCELLED
        )
        record.after_qty = record.filled_qty  # what is left in effect: the filled part
        record.last_time = self._now_text()
        self._changed(record)

    def _apply_trades(self, book: Book, trades: list[Trade], flag: str | None = None) -> None:
        if not trades:
            return
        now_ns = self.clock.now_ns()
        now_text = self._time_text(now_ns)
        symbol = book.symbol
        fills_of = self._fills
        records = self._records
        listeners = self.listeners
        volume = self._volume[symbol]
        bid_cents, ask_cents = book.met_cents
        for trade in trades:
            price_cents = trade.price_cents
            price = price_of_cents(price_cents)
            quantity = trade.quantity
            volume += quantity
            for order_id in (trade.buy_id, trade.sell_id):
                record = records[order_id]
                filled_no = f"{self._next_fill:011d}"
                self._next_fill += 1
                fill = fill_record(
                    record, quantity, price_cents, price, filled_no, now_ns, now_text
                )
                for order_changed in listeners.order_changed:
                    order_changed(record)
                fills_of[record.account].append(fill)
                for filled in listeners.filled:
                    filled(fill)
            self._volume[symbol] = volume
            print_ = TradePrint(
                symbol=symbol,
                price=price,
                price_cents=price_cents,
                quantity=quantity,
                volume=volume,
                time_ns=now_ns,
                flag=flag,
                bid_cents=bid_cents,
                ask_cents=ask_cents,
            )
            for traded in listeners.traded:
                traded(print_)

    def _changed(self, record: OrderResult) -> None:
        for order_changed in self.listeners.order_changed:
            order_changed(record)

    def _book_changed(self, book: Book) -> None:
        for book_changed in self.listeners.book_changed:
            book_changed(book.symbol)
