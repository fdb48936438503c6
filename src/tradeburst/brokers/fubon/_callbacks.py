"""From the SDK's callback thread into the event loop.

The SDK calls `on_order`, `on_order_changed`, `on_filled` and `on_event` on a thread of
its own, and swallows whatever they raise. Each handler here only reads the SDK object
into tradeburst values on that thread and hands them to the loop with
`loop.call_soon_threadsafe`; all state lives on the loop. There, an order's states are
matched to whoever waits for its outcome, by `seq_no` (the key an ACK carries before the
order has an `order_no`), and fanned out to the subscribers of `events()`.

Callbacks may beat the return value they belong to (a batch's callbacks can arrive before
its ACK list), so states nobody waits for yet are kept, a bounded number of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from tradeburst.brokers._protocol import OrderState
from tradeburst.brokers.fubon._mapping import PENDING_STATUSES, fill_of, state_of
from tradeburst.model import Fill

__all__ = ["MAX_EARLY_STATES", "CallbackBridge"]

log = logging.getLogger(__name__)

MAX_EARLY_STATES = 20_000
"""States kept for a waiter that has not come yet; the oldest go first."""
DISCONNECTED = "300"


class CallbackBridge:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_disconnect: Callable[[str], None],
        on_raw: Callable[[OrderState, Any], None],
    ) -> None:
        self._loop = loop
        self._on_disconnect = on_disconnect
        self._on_raw = on_raw
        self._waiters: dict[str, asyncio.Future[OrderState]] = {}
        self._early: OrderedDict[str, OrderState] = OrderedDict()
        self.subscribers: set[asyncio.Queue[OrderState | Fill]] = set()

    # -- the SDK's thread -----------------------------------------------------------------

    def register(self, sdk: Any) -> None:
        """Hand the SDK our handlers (after every login: a new SDK has none)."""
        sdk.set_on_order(self.on_order)
        sdk.set_on_order_changed(self.on_order)
        sdk.set_on_filled(self.on_filled)
        sdk.set_on_event(self.on_event)

    def on_order(self, code: Any, content: Any) -> None:
        try:
            state = state_of(content, str(code) if code else None)
            seq_no = content.seq_no
        except Exception:  # the SDK would swallow it silently; say so instead
            log.warning("unreadable Fubon order callback (code %r)", code, exc_info=True)
            return
        self._post(self._order, seq_no, state, content)

    def on_filled(self, code: Any, content: Any) -> None:
        try:
            fill = fill_of(content)
        except Exception:
            log.warning("unreadable Fubon fill callback (code %r)", code, exc_info=True)
            return
        self._post(self._publish, fill)

    def on_event(self, code: Any, content: Any) -> None:
        log.info("Fubon event %s: %s", code, content)
        if str(code) == DISCONNECTED:
            self._post(self._on_disconnect, str(content))

    def _post(self, handler: Callable[..., None], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: the broker is gone
            self._loop.call_soon_threadsafe(handler, *args)

    # -- the loop -------------------------------------------------------------------------

    def _order(self, seq_no: str | None, state: OrderState, raw: Any) -> None:
        self._on_raw(state, raw)
        self.resolve(seq_no, state)
        self._publish(state)

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

    def _publish(self, item: OrderState | Fill) -> None:
        for queue in self.subscribers:
            queue.put_nowait(item)

    async def outcomes(self, seq_nos: list[str], timeout_s: float) -> dict[str, OrderState]:
        """The outcome of each order (by `seq_no`) that has one within `timeout_s`."""
        found: dict[str, OrderState] = {}
        waiting: dict[str, asyncio.Future[OrderState]] = {}
        for seq_no in seq_nos:
            early = self._early.pop(seq_no, None)
            if early is not None:
                found[seq_no] = early
            else:
                waiting[seq_no] = self._waiters[seq_no] = self._loop.create_future()
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
        """After a reconnect: settle the waiters whose orders a query found; say how many."""
        settled = 0
        for seq_no, state in records:
            if seq_no and seq_no in self._waiters:
                self.resolve(seq_no, state)
                settled += 1
        return settled
