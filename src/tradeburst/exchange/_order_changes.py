"""Changes to a working order: cancel it, reprice it (it loses its queue place, as a
cancel and a new order would) or reduce its quantity (it keeps its place). A change the
exchange will not make raises `Refusal` with Fubon's failure status; an order the account
does not hold raises `KeyError`."""

from __future__ import annotations

from decimal import Decimal

from tradeburst.errors import TradeburstError
from tradeburst.exchange._accounts import Account
from tradeburst.exchange._admission import price_problem
from tradeburst.exchange._market_state import MarketState
from tradeburst.model import FunctionType, OrderStatus, PriceType
from tradeburst.rules import from_cents, quantity_problem
from tradeburst.wire import OrderResult

__all__ = ["OrderChanges", "Refusal"]


class Refusal(TradeburstError):
    """The exchange refuses a change to an order; carries Fubon's failure status."""

    def __init__(self, message: str, status: OrderStatus) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class OrderChanges(MarketState):
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

    def _owned(self, account: Account, order_no: str) -> OrderResult:
        seq = self._by_order_no.get(order_no)
        record = self._records.get(seq) if seq is not None else None
        if record is None or record.account != account.account:
            raise KeyError(order_no)
        return record

    def _require_open_market(self, failed: OrderStatus) -> None:
        if not self.phase().accepts_orders:
            raise Refusal("the market is closed (orders are taken 08:30-13:30)", failed)
