"""What every part of the `Market` shares: the books, the day's order records and fills
with their numbering, the session schedule, and the steps all of them take: bringing the
market up to the clock's time (`sync`), entering an order into its book under a phase,
applying the trades a book made to the records they fill, and telling the listeners.

The parts built on it: order entry (`_order_entry.py`), changes to working orders
(`_order_changes.py`), the session's phase changes and auctions (`_sessions.py`), and
loading a previous run (`_restore.py`); `Market` (`_market.py`) joins them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date

from tradeburst.exchange._admission import EntryCheck
from tradeburst.exchange._book import Book, BookOrder, Trade
from tradeburst.exchange._clock import Clock
from tradeburst.exchange._events import Listeners, TradePrint
from tradeburst.exchange._fill_records import fill_record
from tradeburst.exchange._prices import price_of_cents
from tradeburst.exchange._schedule import Change, Schedule
from tradeburst.exchange._symbols import Symbol
from tradeburst.model import OrderStatus
from tradeburst.rules import Phase, to_cents
from tradeburst.wire import FilledData, OrderResult

__all__ = ["MarketState"]

_IS_CALL = {phase: phase.is_call for phase in Phase}
"""`Phase.is_call` as a table: a property of an enum member is slow to read per order."""


class MarketState:
    """The state of one exchange's market and the steps its parts share."""

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
        self._changes: dict[Change, Callable[[], None]] = {}
        """What each phase change does; the sessions' part fills it in."""

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

    # -- matching and records -------------------------------------------------------------

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
