"""Exchange time: the exchange day turns nanoseconds into Taipei times and Fubon's texts
exactly as the datetime library does, and no conversion rounds into the next second or day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tradeburst.clock import TAIPEI, ExchangeDay, day_ns, epoch_ns, exchange_datetime, span_ns
from tradeburst.exchange import ManualClock

DAY_NS = 86_400 * 10**9

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


LAST_NS_OF_DAY = epoch_ns(datetime(2026, 11, 25, tzinfo=TAIPEI)) + DAY_NS - 1
"""23:59:59.999999999 on 2026-11-25, Asia/Taipei."""


def test_the_last_nanosecond_of_a_day_stays_on_that_day() -> None:
    """23:59:59.999999999 reads as 23:59:59.999999 of the same date, not the next midnight."""
    moment = exchange_datetime(LAST_NS_OF_DAY)
    assert (moment.date(), moment.time()) == (date(2026, 11, 25), time(23, 59, 59, 999_999))
    assert day_ns(LAST_NS_OF_DAY) == DAY_NS - 1
    assert ExchangeDay.containing(LAST_NS_OF_DAY).date == date(2026, 11, 25)


def test_float_seconds_would_round_that_nanosecond_into_the_next_day() -> None:
    """The case the integer helpers exist for: a float of epoch seconds lands on tomorrow."""
    rounded = datetime.fromtimestamp(LAST_NS_OF_DAY / 1e9, TAIPEI)
    assert rounded.date() == date(2026, 11, 26)


def test_a_late_nanosecond_stays_in_its_second() -> None:
    """x.999999999 s is still second x, where a float of epoch seconds reads second x + 1."""
    moment_ns = epoch_ns(datetime(2026, 11, 25, 9, 0, 0, tzinfo=TAIPEI)) + 999_999_999
    assert exchange_datetime(moment_ns).time() == time(9, 0, 0, 999_999)
    assert datetime.fromtimestamp(moment_ns / 1e9, TAIPEI).time() == time(9, 0, 1)


@given(MOMENTS_NS)
def test_every_taipei_day_is_24_hours(moment_ns: int) -> None:
    """Taipei keeps no daylight saving: a day is 86 400 s and `day_ns` counts from its start."""
    day = ExchangeDay.containing(moment_ns)
    assert day.end_ns - day.start_ns == DAY_NS
    assert day_ns(moment_ns) == moment_ns - day.start_ns


@given(MOMENTS_NS)
def test_epoch_ns_inverts_exchange_datetime(moment_ns: int) -> None:
    """Back from the wall time to nanoseconds loses only what a microsecond cannot hold."""
    assert epoch_ns(exchange_datetime(moment_ns)) == moment_ns - moment_ns % 1000


def test_spans_and_manual_clocks_are_exact_to_the_microsecond() -> None:
    """A start or a step with microseconds moves a manual clock by exactly that many ns."""
    start = datetime(2026, 11, 25, 8, 59, 59, 999_999, tzinfo=TAIPEI)
    clock = ManualClock(start)
    clock.advance(timedelta(microseconds=1))
    assert clock.now_ns() == epoch_ns(datetime(2026, 11, 25, 9, tzinfo=TAIPEI))
    assert span_ns(timedelta(days=1, microseconds=1)) == DAY_NS + 1000
