"""Exchange time, in one place: the Asia/Taipei zone, the exchange day, epoch nanoseconds
as Taipei wall time, and the one rule by which a user writes a time of day or a wait
(`--clock`, `rush`'s target, the strategies' TOML: `HH:MM:SS` or `HH:MM:SS.ffffff` on the
exchange's clock with no zone; a wait fits in one exchange day). Nanoseconds are converted
with integer arithmetic only: a float of epoch seconds holds about a quarter of a
microsecond, so `fromtimestamp(ns / 1e9)` can round 23:59:59.9999999 into the next second
and the next day.

The machine's own clocks are read here too, through `mono_ns` and `wall_ns`, both with
sub-microsecond resolution on every platform: before Python 3.13, Windows' `time.monotonic`
and `time.time` tick every 15.6 ms, too coarse to aim a rush or stamp a request's trip.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

from tradeburst.errors import TradeburstError

__all__ = [
    "EXCHANGE_DAY_S",
    "TAIPEI",
    "ExchangeDay",
    "TimeOfDayError",
    "day_ns",
    "duration_problem",
    "epoch_ns",
    "exchange_datetime",
    "format_wait",
    "mono_ns",
    "on_day_of",
    "parse_time_of_day",
    "span_ns",
    "wall_ns",
]

TAIPEI = ZoneInfo("Asia/Taipei")
"""The exchange's zone. Taiwan has kept UTC+8 without daylight saving since 1980, so every
exchange day is 24 hours long; the arithmetic below still asks the zone, not a constant."""
_NS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FINE_S = 1e-6

mono_ns = time.perf_counter_ns
"""Nanoseconds on a monotonic clock of sub-microsecond resolution everywhere (Linux's and
macOS's `time.monotonic` is this clock; Windows' ticks every 15.6 ms before Python 3.13)."""


def _wall_clock() -> Callable[[], int]:
    """`time.time_ns` where it is fine; elsewhere one of its ticks, caught as it happens,
    carried forward on `mono_ns`, so that stamps are as fine as `mono_ns` and keep one
    constant distance to it."""
    if time.get_clock_info("time").resolution <= _FINE_S:
        return time.time_ns
    before = time.time_ns()
    while (tick := time.time_ns()) == before:  # within one tick of the coarse clock
        pass
    origin_ns = tick - mono_ns()
    return lambda: mono_ns() + origin_ns


wall_ns = _wall_clock()
"""Epoch nanoseconds, as fine as `mono_ns`."""


def exchange_datetime(now_ns: int) -> datetime:
    """Asia/Taipei wall time of `now_ns`, to the microsecond, truncated (never rounded up
    into the next second)."""
    seconds, ns = divmod(now_ns, _NS)
    return datetime.fromtimestamp(seconds, TAIPEI).replace(microsecond=ns // 1000)


def epoch_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch of an aware `moment`, exactly."""
    return (moment - _EPOCH) // _MICROSECOND * 1000


def span_ns(span: timedelta) -> int:
    """`span` in nanoseconds, exactly."""
    return span // _MICROSECOND * 1000


def day_ns(moment_ns: int) -> int:
    """Nanoseconds since Asia/Taipei midnight of the day of `moment_ns`."""
    seconds, ns = divmod(moment_ns, _NS)
    wall = datetime.fromtimestamp(seconds, TAIPEI)
    return (wall.hour * 3600 + wall.minute * 60 + wall.second) * _NS + ns


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
            start_ns=epoch_ns(start),
            end_ns=epoch_ns(end),
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


EXCHANGE_DAY_S = 86_400.0
"""No wait or duration is longer: a target is today's on the exchange's clock."""

_TIME = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?")
# A zone is refused rather than converted: `01:00:00Z` dropped its `Z` once and sent at
# 19:31 Taipei, and converting would as surely surprise someone who meant 01:00 exchange time.
_ZONE = re.compile(r"(?:Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)$")


class TimeOfDayError(TradeburstError, ValueError):
    """The text is not an exchange time; the message says why, not where."""


def parse_time_of_day(value: object) -> time_of_day:
    """`value` (text, or a TOML local time) as an exchange time of day."""
    if isinstance(value, time_of_day):
        if value.tzinfo is not None:
            raise TimeOfDayError(f"{value} has a time zone: {_RULE}")
        return value
    if not isinstance(value, str):
        raise TimeOfDayError(f"{value!r} is not a time: {_RULE}")
    match = _TIME.fullmatch(value)
    if match is None:
        if _TIME.match(value) and _ZONE.search(value):
            raise TimeOfDayError(f"{value!r} has a time zone: {_RULE}")
        raise TimeOfDayError(f"{value!r} is not a time: {_RULE}")
    hour, minute, second = (int(part) for part in match.group(1, 2, 3))
    fraction = (match.group(4) or "").ljust(6, "0")
    if hour > 23 or minute > 59 or second > 59:
        raise TimeOfDayError(f"{value!r} is not a time of day: {_RULE}")
    return time_of_day(hour, minute, second, int(fraction))


_RULE = "write exchange time (Asia/Taipei) as HH:MM:SS or HH:MM:SS.ffffff, with no zone"


def duration_problem(seconds: float) -> str | None:
    """Why `seconds` cannot be a wait or a duration, or None when it can."""
    if not math.isfinite(seconds) or seconds < 0:
        return f"{seconds:g} s is not a finite duration of at least 0"
    if seconds > EXCHANGE_DAY_S:
        return f"{seconds:g} s is longer than the exchange day ({EXCHANGE_DAY_S:g} s)"
    return None


def format_wait(seconds: float) -> str:
    """A wait as a person reads it: `4 h 30 min 5 s`, `12.5 s`."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or hours else []
    parts += [f"{secs} s"] if secs else []
    return " ".join(parts)
