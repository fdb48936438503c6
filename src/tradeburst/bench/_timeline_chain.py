"""Where a burst's time goes, read from its order calls: when each left, when the broker
counted it (its answer's stamp), when its answer came.

The broker's stamps are moved to our clock by the least (stamp - send) of the run, so a
call's count is the earliest it could have been counted plus what it waited at the broker.
Under a limit of N a window, the m-th call of a class to leave reuses the slot of the
(m - N)-th to be counted: that is the chain the throttle follows. Walking back from the
last call answered to the first window gives the run's critical chain, and its elapsed
time falls into: the windows themselves, the engine's wait after each slot's window
(headroom, the release rule's margin, a timer's lateness), the broker's delay in counting
a call after the shortest trip (queued behind other calls), the start and the last
answer. `windows` gives the one-window view: each window's sends, counts and answers.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from tradeburst.limits import LimitClass, LimitProfile

__all__ = [
    "Call",
    "ChainBreakdown",
    "critical_chain",
    "least_trip_beaten_ms",
    "link_figures",
    "windows",
]

_NAMES = {LimitClass.BATCH: "batch", LimitClass.ORDER: "single"}


@dataclass(frozen=True, slots=True)
class Call:
    """One order call: its class, orders, and times in seconds on the monotonic clock;
    the broker's stamp in its own ns, when its answer carried one."""

    limit_class: LimitClass
    orders: int
    sent_s: float
    answered_s: float
    counted_ns: int | None


@dataclass(frozen=True, slots=True)
class ChainBreakdown:
    """The critical chain's time, ms: elapsed = windows x window + the rest."""

    windows: int
    start_ms: float
    """The chain's first call left this long after the run's first."""
    engine_wait_ms: float
    """Summed over the chain: each send after its slot's window ended at the broker."""
    broker_delay_ms: float
    """Summed over the chain: each count after its send plus the shortest trip."""
    last_answer_ms: float
    """The chain's last count to its answer (the broker's work and the trip back)."""


def _counted_s(calls: Sequence[Call]) -> dict[int, float]:
    """Each stamped call's count on our clock (by index): stamp less the least trip."""
    trips = [c.counted_ns - round(c.sent_s * 1e9) for c in calls if c.counted_ns is not None]
    if not trips:
        return {}
    least = min(trips)
    return {
        index: (call.counted_ns - least) / 1e9
        for index, call in enumerate(calls)
        if call.counted_ns is not None
    }


def _predecessors(calls: Sequence[Call], profile: LimitProfile) -> dict[int, int]:
    """For each call, the call whose slot it reused (the throttle frees them in count
    order), by index."""
    counted = _counted_s(calls)
    pred: dict[int, int] = {}
    for limit_class, window in profile.limits.items():
        mine = [i for i, c in enumerate(calls) if c.limit_class is limit_class and i in counted]
        by_send = sorted(mine, key=lambda i: calls[i].sent_s)
        by_count = sorted(mine, key=lambda i: counted[i])
        for m in range(window.requests, len(by_send)):
            pred[by_send[m]] = by_count[m - window.requests]
    return pred


def critical_chain(calls: Sequence[Call], profile: LimitProfile) -> ChainBreakdown | None:
    """The chain of slots ending at the last call answered; None without stamps."""
    counted = _counted_s(calls)
    if not counted:
        return None
    pred = _predecessors(calls, profile)
    last = max(counted, key=lambda i: calls[i].answered_s)
    window_s = {cls: w.seconds for cls, w in profile.limits.items()}
    links = wait_s = delay_s = 0.0
    current = last
    while True:
        call = calls[current]
        delay_s += counted[current] - call.sent_s
        before = pred.get(current)
        if before is None:
            break
        links += 1
        wait_s += call.sent_s - (counted[before] + window_s[call.limit_class])
        current = before
    first_s = min(c.sent_s for c in calls)
    return ChainBreakdown(
        windows=int(links),
        start_ms=round((calls[current].sent_s - first_s) * 1e3, 2),
        engine_wait_ms=round(wait_s * 1e3, 2),
        broker_delay_ms=round(delay_s * 1e3, 2),
        last_answer_ms=round((calls[last].answered_s - counted[last]) * 1e3, 2),
    )


def link_figures(calls: Sequence[Call], profile: LimitProfile) -> dict[str, float]:
    """Per class, over every slot reused in the run, ms: the engine's wait after the
    slot's window ended, and the broker's delay in counting the call that reused it
    (median and p90; `batch_engine_wait_ms_p50`, ...)."""
    counted = _counted_s(calls)
    pred = _predecessors(calls, profile)
    figures: dict[str, float] = {}
    for limit_class, window in profile.limits.items():
        links = [(j, i) for j, i in pred.items() if calls[j].limit_class is limit_class]
        if not links:
            continue
        waits = sorted(calls[j].sent_s - counted[i] - window.seconds for j, i in links)
        delays = sorted(counted[j] - calls[j].sent_s for j, _ in links)
        name = _NAMES.get(limit_class, limit_class.value)
        for what, values in (("engine_wait", waits), ("broker_delay", delays)):
            p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
            figures[f"{name}_{what}_ms_p50"] = round(statistics.median(values) * 1e3, 2)
            figures[f"{name}_{what}_ms_p90"] = round(p90 * 1e3, 2)
    return figures


def least_trip_beaten_ms(
    calls: Sequence[Call], profile: LimitProfile, seed_ns: int | None = None
) -> float | None:
    """How far, at most, a call's trip to the count (stamp - send) fell below the least
    trip known when the slot it reused was released (at that call's answer): what the
    release rule's margin and the headroom must cover. The least starts from `seed_ns`,
    the clock reads' least (broker time - send) before the run, as the engine's does.
    None without stamps or reused slots."""
    trips = {
        i: c.counted_ns - round(c.sent_s * 1e9)
        for i, c in enumerate(calls)
        if c.counted_ns is not None
    }
    pred = _predecessors(calls, profile)
    if not pred:
        return None
    least_by_call: dict[int, int] = {}
    least = seed_ns
    for i in sorted(trips, key=lambda i: calls[i].answered_s):
        least = trips[i] if least is None else min(least, trips[i])
        least_by_call[i] = least
    worst = max(least_by_call[i] - trips[j] for j, i in pred.items())
    return round(worst / 1e6, 3)


def windows(calls: Sequence[Call], window_s: float) -> list[dict[str, object]]:
    """Per window from the run's first send: its batch calls' and single orders' sends,
    counts and answers, each as (first, last) in ms from the window's start."""
    if not calls:
        return []
    counted = _counted_s(calls)
    first_s = min(c.sent_s for c in calls)
    rows: dict[int, dict[str, list[float]]] = {}
    for index, call in enumerate(calls):
        number = int((call.sent_s - first_s) // window_s)
        start = first_s + number * window_s
        kind = "batch" if call.limit_class is LimitClass.BATCH else "single"
        row = rows.setdefault(number, {})
        row.setdefault(f"{kind}_sent", []).append(call.sent_s - start)
        row.setdefault(f"{kind}_answered", []).append(call.answered_s - start)
        if index in counted:
            row.setdefault(f"{kind}_counted", []).append(counted[index] - start)
    return [
        {"window": number}
        | {
            key: (round(min(values) * 1e3, 1), round(max(values) * 1e3, 1), len(values))
            for key, values in sorted(row.items())
        }
        for number, row in sorted(rows.items())
    ]
