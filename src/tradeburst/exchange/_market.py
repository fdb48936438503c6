"""The matching venue: every book, every order record, the session phases and auctions.

`Market` turns validated orders into Fubon-shaped `OrderResult` records, matches them in
their symbol's `Book`, and tells its listeners about each change (persistence, streams,
market data). It is synchronous and single-threaded: the server calls it from the event
loop, so one request is one atomic step and the book can never be seen half-matched.

Phase changes happen lazily: each call first brings the market up to the clock's time,
running the opening auction at 09:00, dropping resting market orders at 13:25 and running
the closing auction at 13:30, in that order, for whatever boundaries time has passed.

Its parts, one module each: the shared state and steps (`_market_state.py`), order entry
(`_order_entry.py`), changes to working orders (`_order_changes.py`), the phase changes
(`_sessions.py`) and loading a previous run (`_restore.py`); the queries are here.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from tradeburst.exchange._accounts import Account
from tradeburst.exchange._clock import Clock
from tradeburst.exchange._order_changes import OrderChanges, Refusal
from tradeburst.exchange._order_entry import OrderEntry, order_no_text
from tradeburst.exchange._restore import Restore
from tradeburst.exchange._sessions import SessionChanges
from tradeburst.exchange._symbols import Symbol
from tradeburst.wire import FilledData, OrderResult

__all__ = ["Market", "Refusal", "order_no_text"]


class Market(OrderEntry, OrderChanges, SessionChanges, Restore):
    def __init__(
        self,
        symbols: dict[str, Symbol],
        clock: Clock,
        *,
        always_open: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(symbols, clock, always_open=always_open, rng=rng)
        self._changes = self._phase_changes()

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
