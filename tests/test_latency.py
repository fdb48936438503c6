"""The latency monitor's arithmetic: the exchange clock's offset found against a real
exchange whose clock is shifted by a known amount, the fastest clock reads and only they
voting, the guide's classification exactly at its thresholds, and the split of a trip into
queue, throttle, wire and broker time from known stamps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest

from tradeburst.brokers import SimBroker
from tradeburst.clock import TAIPEI
from tradeburst.exchange import SessionClock
from tradeburst.latency import (
    ClockOffset,
    Component,
    LatencyHistogram,
    TripTimes,
    estimate_offset,
    split_trip,
)
from tradeburst.summary import Classification, LatencyThresholds

from _support import KEY_A, StartExchange

MS = 1_000_000
US = 1_000
HOUR_NS = 3600 * 10**9
CLOCK_SLACK_NS = 50 * US
"""Room for the exchange's clock, which runs on the monotonic clock from a wall-clock
origin, to drift from the wall clock during a test (the bound is otherwise exact)."""


# -- the offset, against a real exchange ------------------------------------------------


@pytest.mark.parametrize("shift_ns", [3_700 * MS, -2 * HOUR_NS], ids=["plus_3.7s", "minus_2h"])
async def test_the_offset_of_a_shifted_exchange_clock_is_found_within_a_millisecond(
    start_exchange: StartExchange, shift_ns: int
) -> None:
    """The exchange's clock runs `shift_ns` from ours: the estimate finds it within the
    error bound it reports (how small that bound is on loopback is a benchmark's figure)."""
    exchange = await start_exchange(clock=SessionClock(offset_ns=shift_ns))
    async with SimBroker(exchange.url, KEY_A) as broker:
        await broker.warm(1)
        clock = await estimate_offset(broker.server_time_ns)
    miss_ns = abs(clock.offset_ns - shift_ns)
    assert miss_ns <= clock.error_ns + CLOCK_SLACK_NS, (clock, shift_ns)
    assert clock.reads == 16
    assert 0 < clock.rtt_ns <= 2 * clock.error_ns + 1  # the fastest voter bounds the rest
    assert clock.to_local_ns(clock.to_broker_ns(123_456_789)) == 123_456_789


# -- the offset, from reads with known delays -------------------------------------------

TRUE_OFFSET_NS = 7 * HOUR_NS + 123 * MS
LATE_S = 0.04
"""A slow read's request waits this long before the broker stamps it, and its answer comes
back at once: its midpoint is LATE_S / 2 early, its offset that much too large."""
SLOW, FAST = True, False
SCHEDULE = (SLOW, FAST, SLOW, SLOW, FAST, SLOW, SLOW, FAST)


def skewed_reads() -> tuple[list[bool], Callable[[], Awaitable[int]]]:
    """A broker clock read that follows `SCHEDULE`, and the list of reads it made."""
    done: list[bool] = []

    async def read() -> int:
        slow = SCHEDULE[len(done)]
        done.append(slow)
        if slow:
            await asyncio.sleep(LATE_S)
        return time.time_ns() + TRUE_OFFSET_NS

    return done, read


async def test_only_the_fastest_reads_vote_on_the_offset() -> None:
    """Five reads delayed one way, three quick ones: with the three fastest voting, the
    estimate is the true offset; the slow reads' error never enters it."""
    done, read = skewed_reads()
    clock = await estimate_offset(read, reads=8, keep=3)
    assert done == list(SCHEDULE)
    assert clock.reads == 8
    late_ns = int(LATE_S * 1e9)
    assert clock.rtt_ns < late_ns  # the fastest read is a quick one
    assert clock.error_ns < late_ns // 2  # no slow read voted: each has a trip ≥ LATE_S
    assert abs(clock.offset_ns - TRUE_OFFSET_NS) <= clock.error_ns + 1


async def test_when_every_read_votes_the_slow_ones_skew_the_offset() -> None:
    """The contrast: the same reads, all voting, give an offset LATE_S / 2 too large, which
    is why only the fastest vote."""
    _, read = skewed_reads()
    clock = await estimate_offset(read, reads=8, keep=8)
    half_late_ns = int(LATE_S * 1e9) // 2
    assert clock.offset_ns - TRUE_OFFSET_NS >= half_late_ns - 1 * MS
    assert clock.error_ns >= half_late_ns


async def test_an_estimate_is_of_the_moment_its_voting_reads_were_taken() -> None:
    """Its `read_at_ns` is among its reads, not at their end: two estimates' drift is
    measured between those moments."""
    moments: list[tuple[int, int]] = []

    async def read() -> int:
        before = time.time_ns()
        if len(moments) >= 3:  # the last reads are slow: they do not vote
            await asyncio.sleep(LATE_S)
        moments.append((before, time.time_ns()))
        return time.time_ns() + TRUE_OFFSET_NS

    clock = await estimate_offset(read, reads=6, keep=3)
    assert clock.read_at_ns is not None
    assert moments[0][0] - 1 * MS <= clock.read_at_ns
    # Each read's midpoint is half its trip before its end; the last is a slow one.
    assert clock.read_at_ns <= moments[-1][1] - int(LATE_S * 1e9) // 2


@pytest.mark.parametrize(("reads", "keep"), [(0, 0), (4, 0), (4, 5), (-1, 1)])
async def test_the_offset_needs_one_to_reads_voters(reads: int, keep: int) -> None:
    async def never() -> int:
        raise AssertionError("no read may be made")

    with pytest.raises(ValueError, match="keep"):
        await estimate_offset(never, reads=reads, keep=keep)


# -- classification at the thresholds ---------------------------------------------------


@pytest.mark.parametrize(
    ("latency_ms", "expected"),
    [
        (0.0, "realtime"),
        (999.999, "realtime"),
        (1000.0, "delayed"),
        (1000.001, "delayed"),
        (4999.999, "delayed"),
        (5000.0, "severe"),
        (86_400_000.0, "severe"),
    ],
)
def test_the_guide_classification_at_its_thresholds(latency_ms: float, expected: str) -> None:
    """🟢 under 1000 ms, 🟡 under 5000 ms, 🔴 from 5000 ms: each threshold belongs to the
    class above it."""
    assert LatencyThresholds().classify(latency_ms) == expected


@pytest.mark.parametrize(
    ("latency_ms", "expected"),
    [
        (49.999, "realtime"),
        (50.0, "delayed"),
        (199.999, "delayed"),
        (200.0, "severe"),
        (999.999, "severe"),
    ],
)
def test_custom_thresholds_classify_at_their_own_limits(latency_ms: float, expected: str) -> None:
    thresholds = LatencyThresholds(realtime_ms=50.0, delayed_ms=200.0)
    assert thresholds.classify(latency_ms) == expected


def test_a_classification_counts_each_class() -> None:
    values = [999.999, 1000.0, 4999.999, 5000.0, 0.5, 12_000.0]
    assert Classification.of(values, LatencyThresholds()) == Classification(
        realtime=2, delayed=2, severe=2
    )
    custom = LatencyThresholds(realtime_ms=1.0, delayed_ms=5000.0)
    assert Classification.of(values, custom) == Classification(realtime=1, delayed=3, severe=2)


# -- the split of a trip ----------------------------------------------------------------


def wall_ns(hour: int, minute: int, second: int, microsecond: int = 0) -> int:
    """Epoch ns of a Taipei time of day on a fixed Wednesday."""
    moment = datetime(2026, 11, 25, hour, minute, second, tzinfo=TAIPEI)
    return int(moment.timestamp()) * 10**9 + microsecond * US


DAY_NS = 86_400 * 10**9
T0 = wall_ns(9, 0, 0)
"""Local wall time the order was due."""


def trip(last_time: str | None, offset_ns: int, **stamps: int) -> TripTimes:
    """The split of an order due at T0, 3 ms at the throttle, sent at T0 + 10 ms, answered
    at T0 + 25 ms, with a 4 ms fastest round trip; `stamps` override any of them."""
    known = {
        "queued_ns": T0,
        "throttle_wait_ns": 3 * MS,
        "sent_ns": T0 + 10 * MS,
        "answered_ns": T0 + 25 * MS,
        **stamps,
    }
    clock = ClockOffset(offset_ns=offset_ns, rtt_ns=4 * MS, error_ns=2 * MS, reads=16)
    return split_trip(last_time=last_time, clock=clock, **known)


def test_a_trip_splits_into_exact_parts() -> None:
    """Due at T0, sent 10 ms later of which 3 at the throttle, answered 15 ms after the send,
    4 ms of which the wire: queue 7, throttle 3, wire 4, broker 11 ms."""
    times = split_trip(
        queued_ns=T0,
        throttle_wait_ns=3 * MS,
        sent_ns=T0 + 10 * MS,
        answered_ns=T0 + 25 * MS,
        last_time="09:00:00.020",
        clock=ClockOffset(offset_ns=0, rtt_ns=4 * MS, error_ns=2 * MS, reads=16),
    )
    parts = {c: times.of(c) for c in Component}
    assert parts == {
        Component.QUEUE: 7 * MS,
        Component.THROTTLE: 3 * MS,
        Component.WIRE: 4 * MS,
        Component.BROKER: 11 * MS,
    }
    assert times.total_ns == 25 * MS
    assert times.difference_ns == 5 * MS  # answered 09:00:00.025, broker said .020


@pytest.mark.parametrize(
    ("sent", "answered", "last_time", "difference_ms"),
    [
        ((23, 59, 59, 900_000), (0, 0, 0, 100_000), "23:59:59.950", 150),  # the day before
        ((23, 59, 59, 900_000), (0, 0, 0, 100_000), "00:00:00.050", 50),  # the day after
        ((12, 0, 0, 0), (12, 0, 0, 20_000), "12:00:00.010", 10),  # the same day
    ],
)
def test_a_broker_stamp_is_placed_on_the_day_nearest_the_answer(
    sent: tuple[int, ...], answered: tuple[int, ...], last_time: str, difference_ms: int
) -> None:
    """An answer across midnight: the broker's time of day (no date) is taken on the day
    that puts it nearest the answer, never a day away (it read 86,399,850 ms, severe)."""
    sent_ns = wall_ns(*sent)
    answered_ns = wall_ns(*answered) + (DAY_NS if answered < sent else 0)
    times = split_trip(
        queued_ns=sent_ns, throttle_wait_ns=0, sent_ns=sent_ns, answered_ns=answered_ns,
        last_time=last_time,
        clock=ClockOffset(offset_ns=0, rtt_ns=1 * MS, error_ns=MS // 2, reads=16),
    )  # fmt: skip
    assert times.difference_ns == difference_ms * MS


@pytest.mark.parametrize(
    ("offset_ns", "last_time", "difference_ns"),
    [
        (2 * HOUR_NS + 1_500_000, "11:00:00.020", 6_500_000),  # broker 2 h 1.5 ms ahead
        (-2 * HOUR_NS, "07:00:00.010", 15 * MS),  # broker 2 h behind
        (3_700 * MS, "09:00:03.725", 0),  # the broker stamped exactly our arrival
        (3_700 * MS, "09:00:03.730", -5 * MS),  # its stamp after our arrival: a clock error
    ],
)
def test_the_broker_time_is_compared_only_through_the_offset(
    offset_ns: int, last_time: str, difference_ns: int
) -> None:
    """The answer's arrival on the broker's clock (T0 + 25 ms + offset) less the broker's
    `last_time`: hours of clock difference never read as latency."""
    times = trip(last_time, offset_ns)
    assert times.difference_ns == difference_ns
    assert (times.queue_ns, times.throttle_ns, times.wire_ns, times.broker_ns) == (
        7 * MS,
        3 * MS,
        4 * MS,
        11 * MS,
    )


@pytest.mark.parametrize("last_time", [None, "", "not a time", "25:00:00.000"])
def test_without_a_broker_time_there_is_no_difference(last_time: str | None) -> None:
    assert trip(last_time, 0).difference_ns is None


def test_the_throttle_never_takes_more_than_the_wait() -> None:
    """A throttle wait longer than the whole wait (stamps from an earlier send) is cut to
    it, and the queue gets nothing."""
    times = trip(None, 0, throttle_wait_ns=50 * MS)
    assert (times.queue_ns, times.throttle_ns) == (0, 10 * MS)


def test_a_trip_faster_than_the_fastest_read_is_all_wire() -> None:
    times = trip(None, 0, answered_ns=T0 + 12 * MS)  # a 2 ms round trip, under rtt 4 ms
    assert (times.wire_ns, times.broker_ns) == (2 * MS, 0)


def test_an_intent_never_queued_has_no_queue_time() -> None:
    """`queued_ns` 0 (a journal from before stamps were kept): no queue, no throttle."""
    times = trip(None, 0, queued_ns=0)
    assert (times.queue_ns, times.throttle_ns, times.total_ns) == (0, 0, 15 * MS)


# -- the histogram ----------------------------------------------------------------------


def test_the_histogram_reads_back_exact_values_below_two_milliseconds() -> None:
    """Three significant digits: below 2048 µs a value is held to the microsecond."""
    histogram = LatencyHistogram()
    for us in (300, 500, 700, 900, 1100, 1300, 1500, 1900):
        histogram.record_ns(us * US + 999)  # the sub-microsecond part is dropped
    assert histogram.count == 8
    assert histogram.percentile_ms(50) == 0.9
    assert histogram.percentile_ms(90) == 1.5
    assert histogram.percentile_ms(99) == 1.9
    assert histogram.max_ms() == 1.9
    empty = LatencyHistogram()
    assert (empty.percentile_ms(50), empty.max_ms()) == (0.0, 0.0)
    histogram.merge(histogram)
    assert histogram.count == 16


def test_the_histogram_never_reads_beyond_the_values_seen() -> None:
    """Thirty round trips of 204.064 ms: HdrHistogram alone gives the top of the bucket,
    204.159; every percentile and the maximum read 204.064, the true value, also after a
    merge with a faster histogram."""
    slow = LatencyHistogram()
    for _ in range(30):
        slow.record_ns(204_064 * US)
    assert [slow.percentile_ms(p) for p in (50, 99, 100)] == [204.064] * 3
    assert slow.max_ms() == 204.064
    fast = LatencyHistogram()
    fast.record_ns(10_123 * US)
    fast.merge(slow)
    assert fast.max_ms() == 204.064
    assert fast.percentile_ms(0) == 10.123
