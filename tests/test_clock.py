"""The exchange day turns nanoseconds into Taipei times and Fubon's texts exactly as the
datetime library does."""

from __future__ import annotations

from datetime import datetime, time

from hypothesis import given
from hypothesis import strategies as st

from tradeburst.exchange import TAIPEI
from tradeburst.wire import ExchangeDay, exchange_datetime

MOMENTS_NS = st.integers(
    int(datetime(2020, 1, 1, tzinfo=TAIPEI).timestamp()) * 10**9,
    int(datetime(2040, 1, 1, tzinfo=TAIPEI).timestamp()) * 10**9,
)


@given(MOMENTS_NS)
def test_the_day_agrees_with_datetime(moment_ns: int) -> None:
    """Date, time of day and the HH:MM:SS.fff text match a datetime in Asia/Taipei."""
    day = ExchangeDay.containing(moment_ns)
    seconds, ns = divmod(moment_ns, 10**9)
    expected = datetime.fromtimestamp(seconds, TAIPEI).replace(microsecond=ns // 1000)
    assert moment_ns in day
    assert day.date == expected.date()
    assert day.date_text == expected.strftime("%Y/%m/%d")
    assert day.time_of_day(moment_ns) == expected.time()
    assert day.clock_text(moment_ns) == (
        expected.strftime("%H:%M:%S.") + f"{expected.microsecond // 1000:03d}"
    )


@given(MOMENTS_NS)
def test_the_day_runs_from_one_taipei_midnight_to_the_next(moment_ns: int) -> None:
    """The day starts at 00:00 Taipei, ends where the next begins, and places 09:00 on it."""
    day = ExchangeDay.containing(moment_ns)
    assert day.time_of_day(day.start_ns) == time(0)
    assert day.end_ns not in day
    assert ExchangeDay.containing(day.end_ns).start_ns == day.end_ns
    assert exchange_datetime(day.at(time(9))).time() == time(9)
