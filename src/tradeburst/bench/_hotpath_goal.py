"""The hot path's goal, relative to the run it was measured in: on a shared host, whose
pauses decide every absolute tail, the ring's p99 must be at most a twentieth of the thread
queue's p99 from the same run (the usual way to hand a tick to a decision), and its p50 at
most 1 µs (its own work, which the host's pauses rarely reach). The host's pauses are
reported beside it (`conditions.bare_core_probe`), never folded into it."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MAX_RING_P50_US", "MAX_RING_P99_SHARE", "goal_text", "ring_goal"]

MAX_RING_P99_SHARE = 1 / 20
"""The ring's p99 over the thread queue's p99, at most."""
MAX_RING_P50_US = 1.0


def ring_goal(tick_to_decision_us: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The goal's figures from one run's percentiles, by path, and whether it is met (never
    when a figure is missing or not a number)."""
    ring = tick_to_decision_us.get("ring", {})
    queue = tick_to_decision_us.get("thread_queue", {})
    ring_p50, ring_p99 = ring.get("p50", math.nan), ring.get("p99", math.nan)
    queue_p99 = queue.get("p99", math.nan)
    share = ring_p99 / queue_p99 if queue_p99 > 0 else math.nan
    return {
        "ring_p50_us": ring_p50,
        "ring_p99_us": ring_p99,
        "thread_queue_p99_us": queue_p99,
        "ring_p99_over_thread_queue_p99": share,
        "max_ring_p99_over_thread_queue_p99": MAX_RING_P99_SHARE,
        "max_ring_p50_us": MAX_RING_P50_US,
        "met": share <= MAX_RING_P99_SHARE and ring_p50 <= MAX_RING_P50_US,
    }


def goal_text(goal: dict[str, Any]) -> str:
    """One line: the ratio, the p50, and whether the goal is met."""
    share = goal["ring_p99_over_thread_queue_p99"]
    one_in = f"1/{1 / share:,.0f}" if share > 0 and math.isfinite(share) else "n/a"
    verdict = "meets" if goal["met"] else "misses"
    return (
        f"ring p99 {goal['ring_p99_us']:,.1f} µs = {one_in} of the thread queue's "
        f"{goal['thread_queue_p99_us']:,.1f} µs, p50 {goal['ring_p50_us']:,.2f} µs: {verdict} "
        f"the goal (p99 ≤ 1/{1 / MAX_RING_P99_SHARE:.0f} of the thread queue's, "
        f"p50 ≤ {MAX_RING_P50_US:g} µs)"
    )
