"""The tick ring across two processes: every record arrives whole and in order, or the
reader reports exactly how many it lost; the busy-poll consumer leaves the process as it
found it."""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeburst.bench._hotpath import percentiles_us
from tradeburst.hotpath import (
    BusyPollConsumer,
    Kind,
    RingReader,
    RingWriter,
    Tick,
    build_order_request,
)
from tradeburst.hotpath._ring import _LOOK_EVERY

from _ring_producer import fields, is_whole, serve

_names = itertools.count()
READ_TIMEOUT_S = 30.0
"""Bound on reading one example's records; never slept through."""


@pytest.fixture(scope="module")
def producer() -> Iterator[Connection]:
    """One producer process for the whole module, fed commands over a pipe."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve, args=(theirs,), daemon=True)
    process.start()
    yield ours
    ours.send(None)
    process.join(10)
    if process.is_alive():
        process.terminate()


def ring_name() -> str:
    return f"tb-test-{os.getpid()}-{next(_names)}"


def read_all(reader: RingReader, read_pause_every: int) -> tuple[list[Tick], list[int]]:
    """Read until the producer has closed the ring and nothing is left; the records, and
    how many were reported missed just before each."""
    ticks: list[Tick] = []
    missed_before: list[int] = []
    deadline = time.monotonic() + READ_TIMEOUT_S
    while time.monotonic() < deadline:
        tick = reader.poll()
        if tick is not None:
            ticks.append(tick)
            missed_before.append(reader.missed)
            if read_pause_every and len(ticks) % read_pause_every == 0:
                time.sleep(0.0005)
        elif reader.closed and reader.next_index >= reader.published:
            return ticks, missed_before
    raise AssertionError("the ring was not closed in time")


def spin_all(reader: RingReader, read_pause_every: int) -> tuple[list[Tick], list[int]]:
    """`read_all` through the busy-poll loop (`RingReader.spin`), which carries its own
    copy of the seqlock check."""
    ticks: list[Tick] = []
    missed_before: list[int] = []

    def decide(tick: Tick) -> None:
        ticks.append(tick)
        missed_before.append(reader.missed)
        if read_pause_every and len(ticks) % read_pause_every == 0:
            time.sleep(0.0005)

    deadline_ns = time.perf_counter_ns() + int(READ_TIMEOUT_S * 1e9)
    reader.spin(decide, limit=sys.maxsize, deadline_ns=deadline_ns, stopped=lambda: False)
    if not (reader.closed and reader.next_index >= reader.published):
        raise AssertionError("the ring was not closed in time")
    return ticks, missed_before


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    capacity=st.sampled_from([2, 4, 16, 256]),
    records=st.integers(min_value=1, max_value=4000),
    pause_every=st.sampled_from([0, 1, 50]),
    read_pause_every=st.sampled_from([0, 7, 200]),
    spin=st.booleans(),
)
def test_reader_sees_every_record_whole_and_in_order_or_reports_the_loss(
    producer: Connection,
    capacity: int,
    records: int,
    pause_every: int,
    read_pause_every: int,
    spin: bool,
) -> None:
    """Records read, by `poll` or by the busy-poll loop, are whole and in publish order;
    each gap is exactly what was reported missed, and read plus missed is everything
    published."""
    with RingReader.create(ring_name(), capacity) as reader:
        producer.send((reader.name, records, pause_every, 0.0002))
        ticks, missed_before = (spin_all if spin else read_all)(reader, read_pause_every)
        assert producer.poll(READ_TIMEOUT_S) and producer.recv() == "done"
        torn = [t.number for t in ticks if not is_whole(t)]
        assert torn == []
        previous, previous_missed = -1, 0
        for tick, missed in zip(ticks, missed_before, strict=True):
            assert tick.number - previous - 1 == missed - previous_missed
            previous, previous_missed = tick.number, missed
        assert len(ticks) + reader.missed == records
        assert reader.published == records


def test_a_lapped_reader_skips_to_whole_records_and_counts_the_rest() -> None:
    """Ten records into a ring of four: the reader gets the four still in it, the six
    overwritten counted as missed in one overrun."""
    with RingReader.create(ring_name(), 4) as reader:
        writer = RingWriter.attach(reader.name)
        for number in range(10):
            writer.publish(Kind.SYNTHETIC, b"2330", number, number)
        writer.release()
        assert reader.poll() is None
        numbers = [t.number for t in iter(reader.poll, None)]
        assert numbers == [6, 7, 8, 9]
        assert (reader.missed, reader.overruns) == (6, 1)


def test_consumer_decides_on_each_record_and_restores_the_process() -> None:
    """The busy-poll consumer calls the decision for each record, stops at the count, and
    leaves the cores, scheduling policy and collector as they were."""
    affinity = os.sched_getaffinity(0)
    policy = os.sched_getscheduler(0)
    with RingReader.create(ring_name(), 64) as reader:
        writer = RingWriter.attach(reader.name)
        for number in range(20):
            writer.publish(Kind.SYNTHETIC, *fields(number)[:5], time_ns=fields(number)[5])
        writer.release()
        seen: list[int] = []
        report = BusyPollConsumer(reader, lambda t: seen.append(t.number)).run(max_ticks=20)
    assert seen == list(range(20))
    assert (report.ticks, report.missed) == (20, 0)
    assert report.cpu in affinity
    assert os.sched_getaffinity(0) == affinity
    assert os.sched_getscheduler(0) == policy
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_waiting_warms_with_the_last_tick_and_changes_no_decision() -> None:
    """While the loop waits for a record that does not come, `warm` gets the last tick
    decided on, again and again; it is never called before the first decision, and the
    decisions are exactly the records published."""
    with RingReader.create(ring_name(), 4) as reader:
        decided: list[int] = []
        warmed: list[int] = []

        def spin_for(ms: int) -> int:
            return reader.spin(
                lambda t: decided.append(t.number),
                limit=sys.maxsize,
                deadline_ns=time.perf_counter_ns() + ms * 1_000_000,
                stopped=lambda: False,
                warm=lambda t: warmed.append(t.number),
            )

        assert spin_for(20) == 0
        assert (decided, warmed) == ([], [])
        writer = RingWriter.attach(reader.name)
        for number in range(3):
            writer.publish(Kind.SYNTHETIC, b"2330", number, number)
        writer.release()
        assert spin_for(20) == 3
    assert decided == [0, 1, 2]
    assert len(warmed) > 1
    assert set(warmed) == {2}


def test_a_loop_not_kept_warm_never_calls_warm() -> None:
    with RingReader.create(ring_name(), 4) as reader:
        writer = RingWriter.attach(reader.name)
        writer.publish(Kind.SYNTHETIC, b"2330", 1, 1)
        writer.release()
        warmed: list[Tick] = []
        decided = reader.spin(
            lambda t: None,
            limit=sys.maxsize,
            deadline_ns=time.perf_counter_ns() + 20_000_000,
            stopped=lambda: False,
            warm=warmed.append,
            keep_warm=False,
        )
    assert (decided, warmed) == (1, [])


def test_consumer_passes_its_warm_callback_to_the_loop() -> None:
    """`BusyPollConsumer(warm=...)` is what the loop calls while it waits."""
    with RingReader.create(ring_name(), 4) as reader:
        writer = RingWriter.attach(reader.name)
        writer.publish(Kind.SYNTHETIC, b"2330", 7, 7)
        writer.release()
        warmed: list[int] = []
        consumer = BusyPollConsumer(
            reader, lambda t: None, realtime=False, warm=lambda t: warmed.append(t.price_milli)
        )
        report = consumer.run(max_ticks=2, timeout_s=0.02)
    assert report.ticks == 1
    assert warmed and set(warmed) == {7}


def test_a_warm_callback_that_raises_ends_the_loop_and_the_process_is_restored() -> None:
    """The error reaches the caller; the record decided on stays decided, and the core,
    scheduling and collector are as they were."""
    affinity = os.sched_getaffinity(0)

    def broken(tick: Tick) -> None:
        raise RuntimeError("warm failed")

    with RingReader.create(ring_name(), 4) as reader:
        writer = RingWriter.attach(reader.name)
        writer.publish(Kind.SYNTHETIC, b"2330", 1, 1)
        writer.release()
        consumer = BusyPollConsumer(reader, lambda t: None, realtime=False, warm=broken)
        with pytest.raises(RuntimeError, match="warm failed"):
            consumer.run(max_ticks=2, timeout_s=1.0)
        assert reader.next_index == 1
    assert os.sched_getaffinity(0) == affinity
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_ring_name_in_use_cannot_be_created_again() -> None:
    """Creating over an existing ring fails instead of resetting another's records."""
    with (
        RingReader.create(ring_name(), 4) as reader,
        pytest.raises(FileExistsError, match="File exists"),
    ):
        RingWriter.create(reader.name, 4)


def test_attaching_to_something_else_is_refused() -> None:
    """Shared memory that is not a tick ring is refused by name."""
    from multiprocessing import shared_memory

    name = ring_name()
    other = shared_memory.SharedMemory(name=name, create=True, size=4096)
    try:
        with pytest.raises(ValueError, match="not a tradeburst tick ring"):
            RingReader.attach(name)
    finally:
        other.close()
        other.unlink()


def test_a_backlog_of_ticks_does_not_keep_the_loop_past_its_deadline() -> None:
    """A thousand records waiting and a decision of a millisecond: the loop ends at its
    20 ms deadline, with most of them still unread (it used to read them all)."""
    with RingReader.create(ring_name(), 1024) as reader:
        writer = RingWriter.attach(reader.name)
        for number in range(1000):
            writer.publish(Kind.SYNTHETIC, b"2330", number, number)
        writer.release()
        decided = reader.spin(
            lambda tick: time.sleep(0.001),
            limit=sys.maxsize,
            deadline_ns=time.perf_counter_ns() + 20_000_000,
            stopped=lambda: False,
        )
    assert 0 < decided < 1000


def test_a_deadline_already_past_ends_a_backlog_at_the_first_look() -> None:
    """The loop looks at the clock at every `_LOOK_EVERY`th decision, not after each: with
    the deadline gone and a thousand records waiting, it decides exactly that many, in
    order, and leaves the rest for the next call."""
    with RingReader.create(ring_name(), 1024) as reader:
        writer = RingWriter.attach(reader.name)
        for number in range(1000):
            writer.publish(Kind.SYNTHETIC, b"2330", number, number)
        writer.release()
        seen: list[int] = []
        decided = reader.spin(
            lambda tick: seen.append(tick.number),
            limit=sys.maxsize,
            deadline_ns=time.perf_counter_ns() - 1,
            stopped=lambda: False,
        )
        assert decided == _LOOK_EVERY
        assert seen == list(range(_LOOK_EVERY))
        assert reader.next_index == _LOOK_EVERY
        following = reader.poll()
        assert following is not None and following.number == _LOOK_EVERY


@settings(max_examples=30, deadline=None)
@given(records=st.integers(min_value=0, max_value=100))
def test_loops_cut_short_by_their_deadline_see_each_record_once_in_order(records: int) -> None:
    """Spins that each end at their first look at a past deadline, one after another, take
    the records `_LOOK_EVERY` (or what is left) at a time: none lost, none seen twice."""
    with RingReader.create(ring_name(), 128) as reader:
        writer = RingWriter.attach(reader.name)
        for number in range(records):
            writer.publish(Kind.SYNTHETIC, b"2330", number, number)
        writer.release()
        seen: list[int] = []
        while True:
            decided = reader.spin(
                lambda tick: seen.append(tick.number),
                limit=sys.maxsize,
                deadline_ns=time.perf_counter_ns() - 1,
                stopped=lambda: False,
            )
            assert decided == min(_LOOK_EVERY, records - len(seen) + decided)
            if not decided:
                break
    assert seen == list(range(records))
    assert reader.missed == 0


def test_a_report_counts_only_what_its_own_run_missed() -> None:
    """An overrun before the first run is that run's; a second run that misses nothing
    reports nothing missed (it reported the reader's lifetime totals)."""
    with RingReader.create(ring_name(), 4) as reader:
        writer = RingWriter.attach(reader.name)
        for number in range(10):
            writer.publish(Kind.SYNTHETIC, b"2330", number, number)
        consumer = BusyPollConsumer(reader, lambda t: None, realtime=False)
        first = consumer.run(max_ticks=10, timeout_s=1.0)  # decided on or missed
        writer.publish(Kind.SYNTHETIC, b"2330", 10, 10)
        second = consumer.run(max_ticks=1, timeout_s=1.0)
        writer.release()
    assert (first.ticks, first.missed, first.overruns) == (4, 6, 1)
    assert (second.ticks, second.missed, second.overruns) == (1, 0, 0)


def test_a_failure_right_after_tuning_leaves_the_process_as_it_was() -> None:
    """Catching up a reader whose ring is gone fails inside the tuned stretch: the error
    reaches the caller, and cores, scheduling, memory and collector are restored."""
    affinity = os.sched_getaffinity(0)
    reader = RingReader.create(ring_name(), 4)
    reader.close()
    with pytest.raises(ValueError, match="released memoryview"):
        BusyPollConsumer(reader, lambda t: None, realtime=False).run(max_ticks=1, fresh=True)
    assert os.sched_getaffinity(0) == affinity
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_the_benchmarks_percentiles_are_nearest_rank() -> None:
    """p50 of 1..101 µs is the 51st (⌈50.5⌉), p99 of 5,000 values the 4,950th."""
    assert percentiles_us([n * 1000 for n in range(1, 102)])["p50"] == 51.0
    assert percentiles_us([n * 1000 for n in range(1, 5001)])["p99"] == 4950.0


def test_an_order_request_to_an_ipv6_host_brackets_it() -> None:
    request = build_order_request("::1", 8080, "K", {"symbol": "2330"})
    assert b"\r\nHost: [::1]:8080\r\n" in request
    assert b"\r\nHost: 127.0.0.1:8080\r\n" in build_order_request("127.0.0.1", 8080, "K", {})
