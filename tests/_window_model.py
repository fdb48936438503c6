"""The answer rule's model of a broker's window, for the tests that check the engine
against it: a broker counts a request when it arrives, somewhere between its send and its
answer, so a run breaks a limit if some arrival times the network could have chosen put
more than the limit in one window. `NotingBroker` is the real client to the real exchange,
noting when each order call left and when its answer came."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from tradeburst.brokers import OrderState, SimBroker
from tradeburst.limits import LimitClass, LimitProfile
from tradeburst.model import Order


@dataclass(frozen=True, slots=True)
class Call:
    limit_class: LimitClass
    orders: tuple[str, ...]
    sent: float
    answered: float


class NotingBroker(SimBroker):
    """The real client to the real exchange, noting each order call's send and answer."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(url, key)
        self.calls: list[Call] = []

    async def place(self, order: Order) -> OrderState:
        sent = time.monotonic()
        try:
            return await super().place(order)
        finally:
            self._note(LimitClass.ORDER, [order], sent)

    async def place_batch(self, orders: Sequence[Order]) -> list[OrderState]:
        sent = time.monotonic()
        try:
            return await super().place_batch(orders)
        finally:
            self._note(LimitClass.BATCH, orders, sent)

    def _note(self, limit_class: LimitClass, orders: Sequence[Order], sent: float) -> None:
        names = tuple(o.user_def or "" for o in orders)
        self.calls.append(Call(limit_class, names, sent, time.monotonic()))


def charges(call: Call, profile: LimitProfile) -> dict[LimitClass, int]:
    """What the broker counts for one call, class by class."""
    counted = {call.limit_class: 1}
    if call.limit_class is LimitClass.BATCH and profile.batch_counts_orders:
        counted[LimitClass.ORDER] = counted.get(LimitClass.ORDER, 0) + len(call.orders)
    return counted


def window_breaches(calls: Sequence[Call], profile: LimitProfile) -> list[str]:
    """Each class and call at which arrivals the network could choose overfill a window.
    For the latest sender `j` of a crowded window, every call counted with it was sent no
    later and answered after `j`'s send less the window; so the window ending at `j`'s send
    can hold all of them, and it breaks the limit when their weight passes it."""
    breaches = []
    for limit_class, window in profile.limits.items():
        weighted = [(c, charges(c, profile).get(limit_class, 0)) for c in calls]
        weighted = [(c, w) for c, w in weighted if w]
        for last, _ in weighted:
            crowd = sum(
                w for c, w in weighted
                if c.sent <= last.sent and c.answered > last.sent - window.seconds
            )  # fmt: skip
            if crowd > window.requests:
                breaches.append(f"{limit_class}: {crowd} > {window.requests} by {last}")
    return breaches
