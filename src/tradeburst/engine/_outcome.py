"""A run's outcome from its intents and its dispatch's counters: the order counts (one
rule for every command), the summary, the timing against the plan's lower bound, and the
latency classification Taiwan desks use."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from tradeburst.engine._dispatch_terms import DispatchStats
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._planner import Plan
from tradeburst.latency import ClockOffset, trip_of
from tradeburst.summary import (
    Classification,
    Latency,
    LatencyThresholds,
    OrderCounts,
    Summary,
    Timing,
)

__all__ = ["order_counts", "summary_of", "timing_against"]


def order_counts(intents: Iterable[Intent], *, over: bool = True) -> OrderCounts:
    """How `intents` stand. A pending intent is not sent once the run is `over`; while it
    goes on, only one already tried is (the others are simply queued)."""
    counts = OrderCounts()
    for intent in intents:
        counts.total += 1
        state = intent.state
        if state is IntentState.ACCEPTED:
            counts.accepted += 1
        elif state is IntentState.REJECTED:
            counts.rejected += 1
        elif state is IntentState.PENDING:
            counts.not_sent += 1 if over or intent.attempts else 0
        else:
            counts.unknown += 1
        counts.resent += intent.resent
    return counts


def summary_of(
    command: str,
    broker_name: str,
    account: str,
    intents: list[Intent],
    stats: DispatchStats | None,
    *,
    since_wall_ns: int = 0,
    clock: ClockOffset | None = None,
    thresholds: LatencyThresholds | None = None,
) -> Summary:
    """The summary of one dispatch of `intents`; with no `stats`, of nothing sent."""
    counts = order_counts(intents)
    if stats is None:
        return Summary(command=command, broker=broker_name, account=account, orders=counts)
    counts.found_placed = stats.found_placed
    elapsed_s = max(0.0, (stats.last_settle_ns - stats.first_send_ns) / 1e9)
    summary = Summary(
        command=command,
        broker=broker_name,
        account=account,
        orders=counts,
        rate_limit_rejections=stats.rate_limit_rejections,
        timing=Timing(elapsed_s=round(elapsed_s, 6)),
        latency_ms=Latency.of([ns / 1e6 for ns in stats.latencies_ns]),
    )
    if clock is not None and thresholds is not None:
        summary.classification = Classification.of(
            _guide_differences_ms(intents, since_wall_ns, clock), thresholds
        )
    return summary


def timing_against(timing: Timing, schedule: Plan, clock: ClockOffset) -> Timing:
    """`timing` with the plan's lower bound, the efficiency it gives, and the clock."""
    elapsed_s = timing.elapsed_s
    bound_s = schedule.lower_bound_s(clock.rtt_ns / 1e9)
    return msgspec.structs.replace(
        timing,
        lower_bound_s=round(bound_s, 6),
        efficiency=round(bound_s / elapsed_s, 4) if elapsed_s > 0 else None,
        clock_offset_ms=round(clock.offset_ns / 1e6, 3),
        clock_error_ms=round(clock.error_ns / 1e6, 3),
    )


def _guide_differences_ms(
    intents: list[Intent], since_wall_ns: int, clock: ClockOffset
) -> list[float]:
    """Per order answered in this dispatch, the time difference desks grade: the answer's
    arrival on the broker's clock against the broker's own `last_time` (the round trip
    when the broker gave no time)."""
    differences: list[float] = []
    for intent in intents:
        if (
            not intent.state.is_final
            or intent.by_query
            or intent.sent_ns < since_wall_ns
            or not intent.answered_ns
        ):
            continue
        differences.append(trip_of(intent, clock).compared_ms)
    return differences
