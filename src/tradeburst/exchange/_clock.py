"""The exchange's session clock: Asia/Taipei wall time, optionally started at a chosen
time of day and run faster than real time, and a manual clock for tests.

Everything that asks "what time is it on the exchange" takes a clock, so tests move time
with `ManualClock.advance` instead of sleeping through real seconds.
"""

from __future__ import annotations

import asyncio
import math
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from typing import Protocol

from tradeburst.clock import TAIPEI, epoch_ns, exchange_datetime, mono_ns, span_ns, wall_ns

__all__ = ["Clock", "ManualClock", "SessionClock"]

_NS = 1_000_000_000


class Clock(Protocol):
    def now_ns(self) -> int:
        """Exchange time, nanoseconds since the Unix epoch."""
        ...

    async def sleep_until(self, target_ns: int) -> None:
        """Return once exchange time has reached `target_ns`."""
        ...

    def moved_in_ns(self, real_ns: int) -> int:
        """How far this clock moves while `real_ns` of real time pass."""
        ...


class SessionClock:
    """Real time, or a day started at `start` (Asia/Taipei, today) running `speed` times
    faster than the machine's monotonic clock."""

    def __init__(
        self,
        *,
        start: time_of_day | None = None,
        speed: float = 1.0,
        offset_ns: int = 0,
        day: date | None = None,
    ) -> None:
        if not 0 < speed < math.inf:
            raise ValueError("speed must be a positive number")
        self.speed = speed
        self._mono_origin_ns = mono_ns()
        now_ns = wall_ns()
        if start is not None:
            today = day or exchange_datetime(now_ns).date()
            now_ns = epoch_ns(datetime.combine(today, start, TAIPEI))
        self._origin_ns = now_ns + offset_ns

    def now_ns(self) -> int:
        elapsed = mono_ns() - self._mono_origin_ns
        if self.speed != 1.0:
            elapsed = int(elapsed * self.speed)
        return self._origin_ns + elapsed

    def moved_in_ns(self, real_ns: int) -> int:
        return real_ns if self.speed == 1.0 else int(real_ns * self.speed)

    async def sleep_until(self, target_ns: int) -> None:
        while (left_ns := target_ns - self.now_ns()) > 0:  # noqa: ASYNC110 - waiting for a time
            await asyncio.sleep(left_ns / self.speed / _NS)


class ManualClock:
    """A clock that moves only when told to; sleepers wake when time passes their target."""

    def __init__(self, start: datetime) -> None:
        self._now_ns = epoch_ns(start)
        self._moved = asyncio.Event()

    def now_ns(self) -> int:
        return self._now_ns

    def moved_in_ns(self, real_ns: int) -> int:
        return 0  # it moves only when told to

    def advance(self, delta: timedelta) -> None:
        self._now_ns += span_ns(delta)
        self._moved.set()
        self._moved = asyncio.Event()

    async def sleep_until(self, target_ns: int) -> None:
        while self._now_ns < target_ns:
            await self._moved.wait()
