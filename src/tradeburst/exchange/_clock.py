"""The exchange's session clock: Asia/Taipei wall time, optionally started at a chosen
time of day and run faster than real time, and a manual clock for tests.

Everything that asks "what time is it on the exchange" takes a clock, so tests move time
with `ManualClock.advance` instead of sleeping through real seconds.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = [
    "TAIPEI",
    "Clock",
    "ExchangeDay",
    "ManualClock",
    "SessionClock",
    "exchange_datetime",
    "on_day_of",
]

TAIPEI = ZoneInfo("Asia/Taipei")
_NS = 1_000_000_000


def exchange_datetime(now_ns: int) -> datetime:
    """Asia/Taipei wall time of `now_ns`, to the microsecond (integer arithmetic: a float
    of epoch seconds can round across midnight)."""
    seconds, ns = divmod(now_ns, _NS)
    return datetime.fromtimestamp(seconds, TAIPEI).replace(microsecond=ns // 1000)


@dataclass(frozen=True, slots=True)
class ExchangeDay:
    """One Asia/Taipei calendar day, for turning exchange nanoseconds into the day's times
    and texts with integer arithmetic: the market asks on every order, and going through
    `datetime` each time costs more than the matching."""

    date: date
    start_ns: int
    end_ns: int
    date_text: str
    """Fubon's form, YYYY/MM/DD."""

    @classmethod
    def containing(cls, moment_ns: int) -> ExchangeDay:
        day = exchange_datetime(moment_ns).date()
        start = datetime.combine(day, time_of_day(0), TAIPEI)
        end = datetime.combine(day + timedelta(days=1), time_of_day(0), TAIPEI)
        return cls(
            date=day,
            start_ns=int(start.timestamp()) * _NS,
            end_ns=int(end.timestamp()) * _NS,
            date_text=day.strftime("%Y/%m/%d"),
        )

    def __contains__(self, moment_ns: object) -> bool:
        return isinstance(moment_ns, int) and self.start_ns <= moment_ns < self.end_ns

    def at(self, when: time_of_day) -> int:
        """Epoch ns of the time of day `when` on this day."""
        seconds = when.hour * 3600 + when.minute * 60 + when.second
        return self.start_ns + seconds * _NS + when.microsecond * 1000

    def time_of_day(self, moment_ns: int) -> time_of_day:
        seconds, ns = divmod(moment_ns - self.start_ns, _NS)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        return time_of_day(hours, minutes, seconds, ns // 1000)

    def clock_text(self, moment_ns: int) -> str:
        """Fubon's `last_time` form, HH:MM:SS.fff."""
        seconds, ns = divmod(moment_ns - self.start_ns, _NS)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{ns // 1_000_000:03d}"


def on_day_of(moment_ns: int, at: time_of_day) -> int:
    """Epoch ns of the time of day `at` (Asia/Taipei) on the exchange day of `moment_ns`."""
    return ExchangeDay.containing(moment_ns).at(at)


class Clock(Protocol):
    def now_ns(self) -> int:
        """Exchange time, nanoseconds since the Unix epoch."""
        ...

    async def sleep_until(self, target_ns: int) -> None:
        """Return once exchange time has reached `target_ns`."""
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
        self._mono_origin_ns = time.monotonic_ns()
        wall_ns = time.time_ns()
        if start is not None:
            today = day or datetime.fromtimestamp(wall_ns / _NS, TAIPEI).date()
            wall_ns = int(datetime.combine(today, start, TAIPEI).timestamp() * _NS)
        self._origin_ns = wall_ns + offset_ns

    def now_ns(self) -> int:
        elapsed = time.monotonic_ns() - self._mono_origin_ns
        if self.speed != 1.0:
            elapsed = int(elapsed * self.speed)
        return self._origin_ns + elapsed

    async def sleep_until(self, target_ns: int) -> None:
        while (left_ns := target_ns - self.now_ns()) > 0:  # noqa: ASYNC110 - waiting for a time
            await asyncio.sleep(left_ns / self.speed / _NS)


class ManualClock:
    """A clock that moves only when told to; sleepers wake when time passes their target."""

    def __init__(self, start: datetime) -> None:
        self._now_ns = int(start.timestamp() * _NS)
        self._moved = asyncio.Event()

    def now_ns(self) -> int:
        return self._now_ns

    def advance(self, delta: timedelta) -> None:
        self._now_ns += int(delta.total_seconds() * _NS)
        self._moved.set()
        self._moved = asyncio.Event()

    async def sleep_until(self, target_ns: int) -> None:
        while self._now_ns < target_ns:
            await self._moved.wait()
