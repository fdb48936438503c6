"""What the Fubon account holds today, asked through the SDK worker: its orders (all, or
those still working), its fills, its positions, and the symbols it may trade with their
price limits; and the `user_def` of every order seen, which the SDK's fill history leaves
out and a fill needs for reconciliation.

A query places nothing: one the SDK could not answer (cut off, past its deadline, the
worker gone) is `NotSent` (`_replies.query_reply`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

import msgspec

from tradeburst.brokers._account import Position, WorkingOrder
from tradeburst.brokers._protocol import Instrument, OrderState
from tradeburst.brokers.fubon._process import next_call_id as _id
from tradeburst.brokers.fubon._replies import query_reply
from tradeburst.brokers.fubon._wire import Call, Placed, Reply
from tradeburst.clock import TAIPEI
from tradeburst.model import Fill

__all__ = ["AccountQueries"]


class AccountQueries:
    def __init__(self, call: Callable[[Call], Awaitable[Reply]]) -> None:
        self._call = call
        self._user_defs: dict[str, str] = {}
        """order_no → user_def."""

    def remember(self, state: OrderState) -> None:
        """An order's state as seen anywhere (an answer, a callback, a query)."""
        if state.order_no and state.user_def:
            self._user_defs[state.order_no] = state.user_def

    async def records(self) -> list[Placed]:
        """Today's orders, each with the `seq_no` its ACK carried."""
        reply = await self._query(Call(id=_id(), method="orders"))
        for placed in reply.placed:
            self.remember(placed.state)
        return reply.placed

    async def order_results(self, user_def: str | None) -> list[OrderState]:
        """Today's orders (the SDK has no filter: `user_def` is applied here)."""
        states = [p.state for p in await self.records()]
        if user_def is not None:
            states = [s for s in states if s.user_def == user_def]
        return states

    async def fills(self) -> list[Fill]:
        """Today's fills, each under its order's `user_def`."""
        today = datetime.now(TAIPEI).strftime("%Y%m%d")
        reply = await self._query(Call(id=_id(), method="fills", day=today))
        if any(f.order_no not in self._user_defs for f in reply.fills):
            await self.records()  # learns the user_def of every order today
        return [
            f
            if f.user_def
            else msgspec.structs.replace(f, user_def=self._user_defs.get(f.order_no))
            for f in reply.fills
        ]

    async def working_orders(self) -> list[WorkingOrder]:
        """Today's orders still working, with what each has filled."""
        return (await self._query(Call(id=_id(), method="working"))).working

    async def positions(self) -> list[Position]:
        """The account's holdings."""
        return (await self._query(Call(id=_id(), method="holdings"))).positions

    async def instruments(self) -> dict[str, Instrument]:
        """Every stock and ETF with a price today, by symbol."""
        found: dict[str, Instrument] = {}
        for kind in ("stock", "etf"):
            reply = await self._query(Call(id=_id(), method="snapshot", kind=kind))
            for quote in reply.quotes:
                found[quote.symbol] = Instrument(
                    symbol=quote.symbol,
                    name=quote.symbol,
                    kind=kind,
                    reference_twd=Decimal(quote.reference),
                    limit_up_twd=Decimal(quote.limit_up),
                    limit_down_twd=Decimal(quote.limit_down),
                )
        return found

    async def _query(self, call: Call) -> Reply:
        return query_reply(await self._call(call), call.method)
