"""Weighted fair share of one account's throttle among strategies, with a reserve for
cancels.

Every strategy sends through its own `Lane`, a view of the account's one `Throttle` that
the engine's dispatcher takes as its throttle. A lane may take slots only when the
account's throttle has them *and* it is the lane's turn. Turns follow start-time fair
queueing over orders: each lane carries a virtual tag that grows by `orders / weight` with
every request it sends, and among the lanes that want to send, the one with the smallest
tag goes. Two saturating lanes weighted 3 and 1 thus send 3 orders for 1. A lane that was
idle starts from the virtual time of the latest send, so idleness banks no credit.

"Wants to send" is what the dispatcher shows by asking: a lane that asked when the next
slot frees (or that has new orders its dispatcher has not looked at yet) is live until
shortly after that time. A lane refused for its turn is told to look again in a
millisecond; one waiting for the account's window wakes when it frees, like everyone, and
one that found every slot held by requests in flight (only an answer, perhaps another
lane's, can free one) looks again in two. So the throttle stays work-conserving: a slot
no live lane is waiting for goes to whoever asks.

The cancel reserve keeps part of the order window (10 % by default) out of reach of new
orders: cancels take the account's throttle directly, so a strategy can always cancel,
however hard the others send. Queries (reconciliation) take it directly too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tradeburst.engine import Charge, Slots, Throttle
from tradeburst.limits import LimitClass

__all__ = ["DEFAULT_CANCEL_RESERVE", "FairShare", "Lane", "LaneStats"]

DEFAULT_CANCEL_RESERVE = 0.1
"""Fraction of the order window new orders may not use."""
TURN_POLL_S = 0.001
"""A lane refused only for its turn looks again this soon."""
IN_FLIGHT_POLL_S = 0.002
"""A lane that found every slot held by requests in flight looks again this soon: only an
answer frees one, and another lane's answer does not wake this lane's dispatcher."""
LIVE_GRACE_S = 0.1
"""A lane stays live this long past the time it said it would ask again: a busy loop runs
timers late, and a lane that is late must not lose its turn. A lane that truly stopped
asking (backing off after a refusal) holds others back at most this long."""


class _Charges(tuple[Charge, ...]):
    """Charges that also know how many orders the request carries."""

    orders: int


def _charges(charges: tuple[Charge, ...], orders: int) -> _Charges:
    tagged = _Charges(charges)
    tagged.orders = orders
    return tagged


@dataclass(slots=True)
class LaneStats:
    requests: int = 0
    orders: int = 0
    """Orders sent through the lane (an order sent twice counts twice)."""


class FairShare:
    def __init__(self, throttle: Throttle, *, cancel_reserve: float = DEFAULT_CANCEL_RESERVE):
        if not 0 <= cancel_reserve < 1:
            raise ValueError(f"cancel_reserve must be in [0, 1) (got {cancel_reserve})")
        self.throttle = throttle
        self.lanes: list[Lane] = []
        self._virtual = 0.0
        window = throttle.profile.limits.get(LimitClass.ORDER)
        self.reserve = 0
        if window is not None and cancel_reserve > 0:
            limit = window.requests
            # Never so much that the largest request (a full batch of orders) cannot fit.
            self.reserve = max(0, min(math.ceil(limit * cancel_reserve), limit - 30))

    def lane(self, name: str, weight: float) -> Lane:
        if not weight > 0 or not math.isfinite(weight):
            raise ValueError(f"weight of {name} must be a positive number (got {weight})")
        lane = Lane(self, name, weight, len(self.lanes))
        self.lanes.append(lane)
        return lane

    async def cancel_slots(self) -> Slots:
        """Slots for one cancel (or modify): straight from the account's throttle, which
        the reserve keeps room in."""
        return await self.throttle.acquire(self.throttle.charges_for(LimitClass.ORDER))

    # -- used by the lanes ----------------------------------------------------------------

    def ready(self, charges: tuple[Charge, ...], now: float) -> float:
        """When the account's throttle fits `charges` with the cancel reserve left free."""
        if self.reserve:
            charges = tuple(
                Charge(c.limit_class, c.weight + self.reserve)
                if c.limit_class is LimitClass.ORDER
                else c
                for c in charges
            )
        return self.throttle.ready_at(charges, now)

    def turn(self, lane: Lane, now: float) -> bool:
        mine = (lane.tag, lane.index)
        return not any(
            other is not lane and other.live(now) and (other.tag, other.index) < mine
            for other in self.lanes
        )

    def served(self, lane: Lane, orders: int, now: float) -> None:
        start = max(lane.tag, self._virtual)
        lane.tag = start + orders / lane.weight
        self._virtual = start


class Lane(Throttle):
    """One strategy's view of the account's throttle (see the module's docstring). It is a
    `Throttle` so the engine's dispatcher can use it unchanged; its own windows are unused:
    every slot is the account throttle's."""

    def __init__(self, share: FairShare, name: str, weight: float, index: int) -> None:
        shared = share.throttle
        super().__init__(shared.profile, headroom_s=shared.headroom_s)
        self.share = share
        self.name = name
        self.weight = weight
        self.index = index
        self.tag = 0.0
        self.stats = LaneStats()
        self._expect_at = -math.inf
        self._fresh = False
        self.backlog = 0
        """Orders submitted to this lane not yet sent once."""

    def live(self, now: float) -> bool:
        return self._fresh or now <= self._expect_at + LIVE_GRACE_S

    def note_submitted(self, orders: int) -> None:
        """New orders are on their way to this lane's dispatcher: count it as wanting to
        send before it first asks, so another lane cannot take the whole burst first."""
        self._fresh = True
        self.backlog += orders

    def now(self) -> float:
        return self.share.throttle.now()

    def charges_for(self, limit_class: LimitClass, orders: int = 1) -> tuple[Charge, ...]:
        charges = self.share.throttle.charges_for(limit_class, orders)
        return _charges(charges, orders if limit_class is LimitClass.BATCH else 1)

    def free(self, limit_class: LimitClass) -> int | None:
        free = self.share.throttle.free(limit_class)
        if free is None:
            return None
        if not self.share.turn(self, self.now()):
            return 0
        if limit_class is LimitClass.ORDER:
            free = max(0, free - self.share.reserve)
        return free

    def ready_at(self, charges: Iterable[Charge], now: float | None = None) -> float:
        now = self.now() if now is None else now
        self._fresh = False
        when = self.share.ready(tuple(charges), now)
        if when == math.inf:
            when = now + IN_FLIGHT_POLL_S
        elif when <= now and not self.share.turn(self, now):
            when = now + TURN_POLL_S
        self._expect_at = when
        return when

    def try_take(self, charges: tuple[Charge, ...]) -> Slots | None:
        now = self.now()
        self._fresh = False
        if not self.share.turn(self, now):
            self._expect_at = now + TURN_POLL_S
            return None
        if self.share.ready(charges, now) > now:
            return None
        slots = self.share.throttle.try_take(charges)
        if slots is None:
            return None
        orders = charges.orders if isinstance(charges, _Charges) else 1
        self.share.served(self, orders, now)
        self.backlog = max(0, self.backlog - orders)
        # With orders left, the lane still wants to send, even while its dispatcher waits
        # for a free connection rather than asking; without, it stops wanting at once.
        self._expect_at = now if self.backlog else -math.inf
        stats = self.stats
        stats.requests += 1
        stats.orders += orders
        return slots

    async def acquire(self, charges: tuple[Charge, ...]) -> Slots:
        """Queries (reconciliation) and cancels: the account's throttle, in its turn."""
        return await self.share.throttle.acquire(charges)

    def penalize(self, limit_class: LimitClass, backoff_s: float) -> None:
        self.share.throttle.penalize(limit_class, backoff_s)
