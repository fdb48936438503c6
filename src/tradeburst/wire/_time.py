"""Exchange time as the API carries it: nanoseconds since the epoch on the exchange's clock
(`TimeAnswer`, receive and fill stamps), read as Asia/Taipei wall time, and the exchange
day's texts in Fubon's forms (`date` YYYY/MM/DD, `last_time` HH:MM:SS.fff). Integer
arithmetic throughout: a float of epoch seconds can round across midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

__all__ = ["TAIPEI", "ExchangeDay", "exchange_datetime", "on_day_of"]

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
