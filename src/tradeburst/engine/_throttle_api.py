"""What the engine needs of a throttle, whichever stands behind it: `Throttle`, exact in
one process; `RedisThrottle`, exact across processes and hosts on one account; or a
strategy's `Lane`, a fair share of either.

The planner and the dispatcher read the process's own view (`now`, `free`, `ready_at`) to
choose the next request, take its slots at once (`try_take`) or in turn (`acquire`), and
`admit` them before the request goes: a shared throttle makes them wait there, in turn
with every other process, until the account has room. A slot is held from then until one
window after its answer (`Slots.release`). A refusal for rate closes a class for a
back-off (`penalize`), for every process when the throttle is shared.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from tradeburst.engine._throttle import Charge, Slots
from tradeburst.limits import LimitClass, LimitProfile

__all__ = ["AccountThrottle"]


class AccountThrottle(Protocol):
    """One account's throttle, as the planner, the dispatcher and the fair share use it."""

    @property
    def profile(self) -> LimitProfile: ...

    def now(self) -> float:
        """The throttle's clock (the event loop's, unless injected)."""
        ...

    def charges_for(self, limit_class: LimitClass, orders: int = 1) -> tuple[Charge, ...]:
        """What one request of `limit_class` carrying `orders` orders costs."""
        ...

    def free(self, limit_class: LimitClass) -> int | None:
        """Slots of `limit_class` this process sees free now; None when not limited."""
        ...

    def ready_at(self, charges: Iterable[Charge], now: float | None = None) -> float:
        """The earliest time this process sees all of `charges` fit."""
        ...

    def try_take(self, charges: tuple[Charge, ...]) -> Slots | None:
        """The slots now, if this process sees them free and nobody queues for them."""
        ...

    async def acquire(self, charges: tuple[Charge, ...]) -> Slots:
        """The slots, in turn, admitted: ready to send on."""
        ...

    async def admit(self, slots: Slots) -> None:
        """Wait until the account (every process on it) has room for `slots`."""
        ...

    def penalize(self, limit_class: LimitClass, backoff_s: float) -> None:
        """Close `limit_class` for `backoff_s`: the broker refused a request for rate."""
        ...
