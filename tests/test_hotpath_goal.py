"""The hot path's goal is relative to its own run: the ring's p99 against the thread
queue's p99 measured beside it, and the ring's p50 against 1 µs."""

from __future__ import annotations

import math

from tradeburst.bench._hotpath_goal import goal_text, ring_goal


def _run(ring_p50: float, ring_p99: float, queue_p99: float) -> dict[str, dict[str, float]]:
    return {
        "ring": {"p50": ring_p50, "p99": ring_p99, "p999": ring_p99 * 2},
        "thread_queue": {"p50": 30.0, "p99": queue_p99, "p999": queue_p99 * 2},
    }


def test_a_ring_twenty_times_faster_at_p99_with_a_fast_p50_meets_the_goal() -> None:
    goal = ring_goal(_run(0.6, 5.0, 100.0))
    assert goal["ring_p99_over_thread_queue_p99"] == 0.05
    assert goal["met"]
    assert "1/20 of the thread queue's 100.0 µs" in goal_text(goal)
    assert "meets the goal" in goal_text(goal)


def test_a_slow_p50_or_a_p99_too_close_to_the_queue_misses_it() -> None:
    assert not ring_goal(_run(1.2, 2.0, 118.0))["met"]  # p50 over 1 µs
    close = ring_goal(_run(0.6, 10.0, 118.0))  # 1/12
    assert not close["met"]
    assert "1/12 of the thread queue's" in goal_text(close)
    assert "misses the goal" in goal_text(close)


def test_a_missing_or_empty_path_never_meets_it() -> None:
    nothing = ring_goal({"ring": {"p50": 0.5, "p99": 1.0}})
    assert math.isnan(nothing["ring_p99_over_thread_queue_p99"]) and not nothing["met"]
    assert "n/a of the thread queue's" in goal_text(nothing)
    empty = ring_goal(_run(math.nan, math.nan, 100.0))
    assert not empty["met"]
