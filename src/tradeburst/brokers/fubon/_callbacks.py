"""The SDK's callbacks, as they arrive from the worker over the pipe, on the loop.

The worker reads each `on_order`, `on_order_changed` and `on_filled` callback into a
tradeburst value (the SDK swallows whatever a callback raises, so the worker reads it
there and says when it cannot). Here an order's states are matched to whoever waits for
its outcome, by `seq_no` (the key an ACK carries before the order has an `order_no`), and
fanned out to the subscribers of `events()`.

Callbacks may beat the return value they belong to (a batch's callbacks can arrive before
its ACK list), so states nobody waits for yet are kept, a bounded number of them.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

from tradeburst.brokers._protocol import OrderState
from tradeburst.brokers.fubon._mapping import PENDING_STATUSES
from tradeburst.brokers.fubon._wire import Pushed, PushedFill, ToParent
from tradeburst.model import Fill

__all__ = ["MAX_EARLY_STATES", "CallbackBridge"]

MAX_EARLY_STATES = 20_000
"""States kept for a waiter that has not come yet; the oldest go first."""


class CallbackBridge:
    def __init__(self, on_state: Callable[[OrderState], None]) -> None:
        self._on_state = on_state
        self._waiters: dict[str, asyncio.Future[OrderState]] = {}
        self._early: OrderedDict[str, OrderState] = OrderedDict()
        self.subscribers: set[asyncio.Queue[OrderState | Fill]] = set()

    def push(self, message: ToParent) -> None:
        """A message the worker sent unasked (events are the session's)."""
        if isinstance(message, Pushed):
            self._on_state(message.state)
            self.resolve(message.seq_no, message.state)
            self._publish(message.state)
        elif isinstance(message, PushedFill):
            self._publish(message.fill)

    def resolve(self, seq_no: str | None, state: OrderState) -> None:
        """An order's state is known: the waiter gets it if it is an outcome."""
        if not seq_no or state.status in PENDING_STATUSES:
            return
        waiter = self._waiters.pop(seq_no, None)
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(state)
            return
        self._early[seq_no] = state
        self._early.move_to_end(seq_no)
        while len(self._early) > MAX_EARLY_STATES:
            self._early.popitem(last=False)

    async def follow(self) -> AsyncIterator[OrderState | Fill]:
        """Every state and fill pushed from now on (the broker's `events()`)."""
        queue: asyncio.Queue[OrderState | Fill] = asyncio.Queue()
        self.subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self.subscribers.discard(queue)

    def _publish(self, item: OrderState | Fill) -> None:
        for queue in self.subscribers:
            queue.put_nowait(item)

    async def outcomes(self, seq_nos: list[str], timeout_s: float) -> dict[str, OrderState]:
        """The outcome of each order (by `seq_no`) that has one within `timeout_s`."""
        found: dict[str, OrderState] = {}
        waiting: dict[str, asyncio.Future[OrderState]] = {}
        loop = asyncio.get_running_loop()
        for seq_no in seq_nos:
            early = self._early.pop(seq_no, None)
            if early is not None:
                found[seq_no] = early
            else:
                waiting[seq_no] = self._waiters[seq_no] = loop.create_future()
        if waiting:
            await asyncio.wait(waiting.values(), timeout=timeout_s)
        for seq_no, future in waiting.items():
            if future.done():
                found[seq_no] = future.result()
            else:
                future.cancel()
                self._waiters.pop(seq_no, None)
        return found

    def settle_waiting(self, records: list[tuple[str | None, OrderState]]) -> int:
        """After a replacement: settle the waiters whose orders a query found; say how many."""
        settled = 0
        for seq_no, state in records:
            if seq_no and seq_no in self._waiters:
                self.resolve(seq_no, state)
                settled += 1
        return settled
