"""Times of day and waits as a user writes them, read by one rule everywhere: an exchange
time is `HH:MM:SS` or `HH:MM:SS.ffffff` on the exchange's clock (Asia/Taipei) with no
zone, and a wait or a duration fits in one exchange day. Each caller names where the value
came from (an option, a file's key); the reason is the same wherever it is refused.

A zone is refused rather than converted: `01:00:00Z` dropped its `Z` once and sent at
19:31 Taipei, and converting would as surely surprise someone who meant 01:00 exchange time.
"""

from __future__ import annotations

import math
import re
from datetime import time

from tradeburst.errors import TradeburstError

__all__ = [
    "EXCHANGE_DAY_S",
    "TimeOfDayError",
    "duration_problem",
    "format_wait",
    "parse_time_of_day",
]

EXCHANGE_DAY_S = 86_400.0
"""No wait or duration is longer: a target is today's on the exchange's clock."""

_TIME = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?")
_ZONE = re.compile(r"(?:Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)$")


class TimeOfDayError(TradeburstError, ValueError):
    """The text is not an exchange time; the message says why, not where."""


def parse_time_of_day(value: object) -> time:
    """`value` (text, or a TOML local time) as an exchange time of day."""
    if isinstance(value, time):
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
    return time(hour, minute, second, int(fraction))


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
