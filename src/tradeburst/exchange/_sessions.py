"""The session's phase changes as the market carries them out: the opening auction at
09:00, dropping resting market orders when the closing call starts at 13:25, the closing
auction at 13:30, and a new day with empty books. `MarketState.sync` runs whichever of
them have come due, in that order, lazily on the next call after their time."""

from __future__ import annotations

from collections.abc import Callable

from tradeburst.exchange._market_state import MarketState
from tradeburst.exchange._schedule import Change

__all__ = ["SessionChanges"]


class SessionChanges(MarketState):
    def _phase_changes(self) -> dict[Change, Callable[[], None]]:
        """What each phase change does."""
        return {
            Change.OPENING_AUCTION: self._open_auction,
            Change.CLOSING_CALL: self._drop_market_orders,
            Change.CLOSING_AUCTION: self._close_auction,
            Change.NEW_DAY: self._start_day,
        }

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
