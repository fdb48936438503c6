"""The throttle: one per account, shared by everything that sends on it, keeping every limit
class of the broker's profile under its sliding window.

Brokers count a sliding window: at most N requests of a class in any W seconds, stamped
when the broker receives them. Most do not show that stamp, only that it falls between
sending and the answer. So a request holds its slot from the moment it is sent until W
(plus a small headroom) after its answer came back; whatever the broker's stamps were, it
never sees N + 1 in one window. Where the broker's answer does show the stamp it counted
by, the slot's window may count from an earlier time (`Slots.release(at=...)`, worked out
by `_release_rule`), never later than the answer. A leaky bucket would burst past a
sliding window; this cannot.

A request may weigh more than one slot (a batch that counts its orders), and may need
slots in more than one class at once. Waiters queue first-in first-out per class and
wake at the next time a slot frees (`loop.call_at`), or when an answer releases one. A
rate-limit refusal from the broker means our view was wrong (another client on the
account, a broker counting differently): `penalize` closes the class for a back-off.
The clock is injected (`loop.time` by default), so the window logic is testable without
sleeping.
"""

from __future__ import annotations

import asyncio
import bisect
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tradeburst.limits import LimitClass, LimitProfile, Window

__all__ = ["DEFAULT_HEADROOM_S", "Charge", "SlidingWindow", "Slots", "Throttle"]

DEFAULT_HEADROOM_S = 0.002
"""Added to every window: clock granularity and rounding at the broker."""


class SlidingWindow:
    """One limit class's slots: `window.requests` per `window.seconds` seconds."""

    def __init__(self, window: Window) -> None:
        self.limit = window.requests
        self.window_s = window.seconds
        self.in_flight = 0
        """Slots held by requests still waiting for their answer."""
        self._expiries: deque[tuple[float, int]] = deque()
        self._expiring = 0
        """Slots of answered requests still inside the window (sum of `_expiries`)."""
        self.blocked_until = 0.0

    def used(self, now: float) -> int:
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            self._expiring -= expiries.popleft()[1]
        return self.in_flight + self._expiring

    def free_at(self, weight: int, now: float) -> float:
        """The earliest time `weight` slots are free, if no answer comes first; `inf` when
        only an answer can free them."""
        if weight > self.limit:
            raise ValueError(f"a request of weight {weight} can never fit a limit of {self.limit}")
        excess = self.used(now) + weight - self.limit
        start = max(now, self.blocked_until)
        if excess <= 0:
            return start
        for expiry, slots in self._expiries:
            excess -= slots
            if excess <= 0:
                return max(expiry, start)
        return math.inf

    def take(self, weight: int) -> None:
        self.in_flight += weight

    def give_back(self, weight: int, counted_from: float, headroom_s: float) -> None:
        """The request's window counts from `counted_from` (its answer, or earlier)."""
        self.in_flight -= weight
        expiry = (counted_from + self.window_s + headroom_s, weight)
        expiries = self._expiries
        if not expiries or expiries[-1][0] <= expiry[0]:
            expiries.append(expiry)
        else:  # counted from a stamp earlier than an earlier answer: keep them in order
            bisect.insort(expiries, expiry)
        self._expiring += weight


@dataclass(frozen=True, slots=True)
class Charge:
    """What a request costs: `weight` slots of `limit_class`."""

    limit_class: LimitClass
    weight: int = 1


@dataclass(slots=True, eq=False)
class Slots:
    """Slots held by one request; `release` them when its answer (or its failure) comes."""

    throttle: Throttle
    charges: tuple[Charge, ...]
    released: bool = field(default=False)
    shared: str = ""
    """A shared throttle's name for these slots once it admitted them; "" before."""

    def release(self, at: float | None = None) -> None:
        """Give the slots back: they count for one window from now, or from `at` (on the
        throttle's clock, no later than now) when the broker is known to have counted the
        request by then."""
        if not self.released:
            self.released = True
            self.throttle._release(self, at)


def _classes(charges: tuple[Charge, ...]) -> set[LimitClass]:
    return {c.limit_class for c in charges}


class Throttle:
    def __init__(
        self,
        profile: LimitProfile,
        *,
        headroom_s: float = DEFAULT_HEADROOM_S,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.profile = profile
        self.headroom_s = headroom_s
        self._clock = clock
        self._windows = {cls: SlidingWindow(w) for cls, w in profile.limits.items()}
        self._waiters: deque[tuple[tuple[Charge, ...], asyncio.Future[Slots]]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def charges_for(self, limit_class: LimitClass, orders: int = 1) -> tuple[Charge, ...]:
        """What one request of `limit_class` carrying `orders` orders costs under the
        profile: a batch call also costs its orders where the broker counts them."""
        charges = [Charge(limit_class)]
        if limit_class is LimitClass.BATCH and self.profile.batch_counts_orders:
            charges.append(Charge(LimitClass.ORDER, orders))
        return tuple(c for c in charges if c.limit_class in self._windows)

    def free(self, limit_class: LimitClass) -> int | None:
        """Slots of `limit_class` free now; None when the class is not limited."""
        window = self._windows.get(limit_class)
        if window is None:
            return None
        now = self.now()
        if now < window.blocked_until:
            return 0
        return max(0, window.limit - window.used(now))

    def ready_at(self, charges: Iterable[Charge], now: float | None = None) -> float:
        """The earliest time all of `charges` fit (`now` if they fit now)."""
        now = self.now() if now is None else now
        return max(
            (self._windows[c.limit_class].free_at(c.weight, now) for c in charges), default=now
        )

    def try_take(self, charges: tuple[Charge, ...]) -> Slots | None:
        """Take the slots now if they are free and nobody queues for the same classes."""
        classes = {c.limit_class for c in charges}
        if any(classes & _classes(waiting) for waiting, _ in self._waiters):
            return None
        now = self.now()
        if self.ready_at(charges, now) > now:
            return None
        return self._take(charges)

    async def acquire(self, charges: tuple[Charge, ...]) -> Slots:
        """Wait, in turn, until the slots are free, then take them."""
        slots = self.try_take(charges)
        if slots is not None:
            return slots
        future: asyncio.Future[Slots] = asyncio.get_running_loop().create_future()
        self._waiters.append((charges, future))
        self._pump()
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                future.result().release()  # granted as we were cancelled: hand it back
            else:
                self._waiters = deque(w for w in self._waiters if w[1] is not future)
                self._pump()
            raise

    async def admit(self, slots: Slots) -> None:
        """Clear `slots` with every other process on the account before their request
        goes (slots of a view, such as a strategy's lane, are cleared by their owner)."""
        await slots.throttle._admit(slots)

    async def _admit(self, slots: Slots) -> None:
        """One process is the whole account: slots taken here are cleared already."""

    def penalize(self, limit_class: LimitClass, backoff_s: float) -> None:
        """Close `limit_class` for `backoff_s`: the broker refused us for rate."""
        window = self._windows.get(limit_class)
        if window is not None:
            window.blocked_until = max(window.blocked_until, self.now() + backoff_s)
        self._pump()

    def _take(self, charges: tuple[Charge, ...]) -> Slots:
        for charge in charges:
            self._windows[charge.limit_class].take(charge.weight)
        return Slots(self, charges)

    def _release(self, slots: Slots, at: float | None = None) -> None:
        now = self.now()
        counted_from = now if at is None else min(at, now)
        for charge in slots.charges:
            self._windows[charge.limit_class].give_back(
                charge.weight, counted_from, self.headroom_s
            )
        self._pump()

    def _pump(self) -> None:
        """Grant waiters in order, class by class: a waiter goes when its slots are free
        and no earlier waiter still waits for one of its classes. Then sleep until the
        first time a waiting head could go (an answer arriving earlier pumps again)."""
        blocked: set[LimitClass] = set()
        wake = math.inf
        still: deque[tuple[tuple[Charge, ...], asyncio.Future[Slots]]] = deque()
        for charges, future in self._waiters:
            if future.done():
                continue
            classes = _classes(charges)
            if not classes & blocked:
                now = self.now()
                when = self.ready_at(charges, now)
                if when <= now:
                    future.set_result(self._take(charges))
                    continue
                wake = min(wake, when)
            blocked |= classes
            still.append((charges, future))
        self._waiters = still
        self._arm(wake)

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if math.isfinite(when):  # `when` is on the throttle's clock, maybe not the loop's
            self._timer = asyncio.get_running_loop().call_later(
                max(0.0, when - self.now()), self._pump
            )
