"""Order entry: a validated order becomes a Fubon-shaped `OrderResult` record with its
sequence number, is checked against the symbol's price band, tick ladder and lot rules
under the request's phase (refused: the record says why), numbered (a 5-character base-36
order number) and entered into its book. A batch request is placed under one phase."""

from __future__ import annotations

from collections.abc import Iterable

from tradeburst.exchange._accounts import Account
from tradeburst.exchange._book import BookOrder
from tradeburst.exchange._market_state import MarketState
from tradeburst.exchange._prices import price_of_cents
from tradeburst.model import FunctionType, Order, OrderStatus, PriceType
from tradeburst.rules import Phase
from tradeburst.wire import OrderResult

__all__ = ["OrderEntry", "order_no_text"]

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Enum members read for every order, as module constants: on Python 3.11 `PriceType.LIMIT`
# goes through the enum metaclass's attribute hook, several times the cost of a global,
# and an order reads a dozen.
_LIMIT = PriceType.LIMIT
_MARKET = PriceType.MARKET
_ACCEPTED = OrderStatus.ACCEPTED
_SENT_TO_BACKEND = OrderStatus.SENT_TO_BACKEND
_NEW = FunctionType.NEW


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


class OrderEntry(MarketState):
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
