"""`bench timeline`: a burst's elapsed time taken apart along the chain of throttle
slots that ended it (`_timeline_chain`), checked on calls whose every time is known, and
the command run end to end at its smallest size against the real exchange."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeburst.bench._timeline_chain import (
    Call,
    critical_chain,
    least_trip_beaten_ms,
    link_figures,
    windows,
)
from tradeburst.limits import LimitClass, LimitProfile, Window

from _engine_support import run_cli

MS = 1_000_000
BROKER_AHEAD_NS = 7 * 3600 * 10**9
"""The broker's clock runs hours from ours: only (stamp - send) differences may matter."""
WINDOW_MS = 1000
"""Both order classes of the Fubon profile, which the command runs, count over 1 s."""
PROFILE = LimitProfile(
    name="two-a-second", limits={LimitClass.BATCH: Window(requests=2, seconds=1.0)}
)


def _call(sent_ms: float, counted_after_ms: float, answered_after_ms: float) -> Call:
    """A batch call sent at `sent_ms`, counted that much later than the shortest trip
    (5 ms), answered that much after its count."""
    sent_s = 100 + sent_ms / 1e3
    counted_ns = BROKER_AHEAD_NS + round(sent_s * 1e9) + 5 * MS + round(counted_after_ms * MS)
    answered_s = sent_s + (5 + counted_after_ms + answered_after_ms) / 1e3
    return Call(LimitClass.BATCH, 30, sent_s, answered_s, counted_ns)


CALLS = [
    _call(0, 0, 10),  # window 0, counted at once
    _call(1, 9, 10),  # window 0, counted 9 ms late (queued behind the first)
    _call(1003, 20, 10),  # reuses the first's slot 3 ms after its window; counted late
    _call(1014, 2, 10),  # reuses the second's: 4 ms after its window, counted 2 ms late
    _call(2020, 1, 30),  # reuses the fourth's, counted before the third: 4 ms after
]
"""Slots free in the order the broker counted their calls: the last call's chain runs
back through the fourth and the second to the first window."""


def test_the_critical_chain_sums_to_the_elapsed_time() -> None:
    """Windows, start, engine waits, broker delays and the last answer add up to the
    time from the first send to the last answer, each part where it was spent."""
    chain = critical_chain(CALLS, PROFILE)
    assert chain is not None
    assert chain.windows == 2
    assert chain.start_ms == pytest.approx(1.0)  # the chain began at the second call
    assert chain.engine_wait_ms == pytest.approx(4 + 4)
    assert chain.broker_delay_ms == pytest.approx(9 + 2 + 1)
    assert chain.last_answer_ms == pytest.approx(5 + 30)  # the shortest trip, then 30 ms
    elapsed_ms = (CALLS[-1].answered_s - CALLS[0].sent_s) * 1e3
    parts = chain.start_ms + chain.engine_wait_ms + chain.broker_delay_ms + chain.last_answer_ms
    assert chain.windows * 1000 + parts == pytest.approx(elapsed_ms)


def test_every_reused_slot_gives_a_wait_and_a_delay() -> None:
    """The engine's waits after each window (3, 4, 4 ms) and the broker's delays in
    counting the calls that reused a slot (20, 2, 1 ms), per class."""
    figures = link_figures(CALLS, PROFILE)
    assert figures["batch_engine_wait_ms_p50"] == pytest.approx(4.0)
    assert figures["batch_engine_wait_ms_p90"] == pytest.approx(4.0)
    assert figures["batch_broker_delay_ms_p50"] == pytest.approx(2.0)
    assert figures["batch_broker_delay_ms_p90"] == pytest.approx(20.0)


def test_windows_show_each_window_from_its_start() -> None:
    """Sends, counts and answers of each window as (first, last, calls) in ms."""
    rows = windows(CALLS, 1.0)
    assert [row["window"] for row in rows] == [0, 1, 2]
    assert rows[1]["batch_sent"] == (3.0, 14.0, 2)
    assert rows[1]["batch_counted"] == (16.0, 23.0, 2)
    assert rows[2]["batch_answered"] == (56.0, 56.0, 1)


def test_a_trip_faster_than_any_known_at_the_release_is_measured() -> None:
    """The margin a run needed: a call whose trip beat, by 3 ms, the least trip known
    when the slot it reused was released; a slower one needed none; and none when the
    clock reads the least starts from were faster still."""
    one_a_second = LimitProfile(
        name="one-a-second", limits={LimitClass.BATCH: Window(requests=1, seconds=1.0)}
    )
    beaten = [_call(0, 3, 10), _call(1010, 0, 10)]  # trips of 8 ms, then 5 ms
    assert least_trip_beaten_ms(beaten, one_a_second) == pytest.approx(3.0)
    slower = [_call(0, 0, 10), _call(1010, 3, 10)]  # 5 ms, then 8 ms
    assert least_trip_beaten_ms(slower, one_a_second) == pytest.approx(-3.0)
    # Clock reads before the run that went as fast as 4 ms: the 5 ms trip beat nothing.
    seed_ns = BROKER_AHEAD_NS + 4 * MS
    assert least_trip_beaten_ms(beaten, one_a_second, seed_ns) == pytest.approx(-1.0)


def test_without_stamps_there_is_no_chain() -> None:
    """A broker whose answers carry no stamp gives no chain to take apart."""
    unstamped = [Call(LimitClass.BATCH, 30, 1.0, 1.01, None)]
    assert critical_chain(unstamped, PROFILE) is None
    assert link_figures(unstamped, PROFILE) == {}
    assert least_trip_beaten_ms(unstamped, PROFILE) is None


async def test_bench_timeline_at_its_smallest_size_writes_every_figure(tmp_path: Path) -> None:
    """One small run end to end: its efficiency, no refusal, a chain whose parts are
    real times, and the window view."""
    out = tmp_path / "timeline.json"
    args = ("--latency-ms", "0", "--jitter-ms", "0", "--runs", "1", "--orders", "400")
    run = await run_cli("bench", "timeline", *args, "--json", str(out), cwd=tmp_path, timeout_s=240)
    assert run.returncode == 0, run.output
    assert "Traceback" not in run.output
    figures = json.loads(out.read_text())
    assert figures["rate_limit_rejections"] == 0
    (result,) = figures["runs"]
    assert 0 < result["efficiency"] <= 1.5
    chain = result["critical_chain_ms"]
    assert chain["windows"] >= 1
    # The start and the broker's delays are never negative by construction; the engine's
    # waits and the last answer are read against the run's least trip, which a stamp a
    # kernel tick late can make them undercut, so only their sum is held to the run.
    assert chain["start_ms"] >= 0
    assert chain["broker_delay_ms"] >= 0
    parts_ms = sum(value for name, value in chain.items() if name != "windows")
    chain_ms = chain["windows"] * WINDOW_MS + parts_ms  # first send to last answer
    elapsed_ms = result["elapsed_s"] * 1e3  # first send to last settled: a little more
    assert elapsed_ms / 2 <= chain_ms <= elapsed_ms + 5
    assert isinstance(result["least_trip_beaten_ms"], float)
    assert figures["first_run_windows"][0]["batch_sent"][2] >= 1
