"""The summary of a `run`: the order counts, latencies and refusals of every strategy
together, and per strategy its own figures (its share of the throttle, its cancels, a
TWAP's progress). A run has no lower bound or efficiency: its strategies send at their
own times, so there is no one plan to measure it against."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from tradeburst.engine import IntentState
from tradeburst.latency import ClockOffset
from tradeburst.report import rejections_of
from tradeburst.strategies._kinds import Twap
from tradeburst.strategies._stalls import stalled
from tradeburst.summary import (
    Classification,
    Latency,
    LatencyThresholds,
    LoopHealth,
    LoopStall,
    OrderCounts,
    Summary,
    Timing,
)

if TYPE_CHECKING:
    from tradeburst.strategies._runner import Slot

__all__ = ["run_summary"]


def run_summary(
    slots: Sequence[Slot],
    broker: str,
    account: str,
    thresholds: LatencyThresholds,
    clock: ClockOffset | None,
    stalls: Sequence[LoopStall] = (),
) -> Summary:
    totals = OrderCounts()
    latencies: list[float] = []
    first_ns, last_ns, rate_limited = 0, 0, 0
    sent_all = sum(slot.lane.stats.orders for slot in slots) or 1
    strategies: dict[str, Any] = {}
    for slot in slots:
        counts = slot.counts()
        for name in OrderCounts.__struct_fields__:
            setattr(totals, name, getattr(totals, name) + getattr(counts, name))
        slot_ms = [ns / 1e6 for ns in slot.latencies_ns]
        latencies += slot_ms
        for dispatcher in slot.dispatchers:
            stats = dispatcher.stats
            rate_limited += stats.rate_limit_rejections
            if stats.first_send_ns:
                first_ns = min(first_ns or stats.first_send_ns, stats.first_send_ns)
            last_ns = max(last_ns, stats.last_settle_ns)
        strategies[slot.name] = _strategy_entry(slot, counts, slot_ms, sent_all)
    elapsed_s = max(0.0, (last_ns - first_ns) / 1e9) if first_ns else 0.0
    classification, stalled_answers = _classification(slots, thresholds, stalls)
    return Summary(
        command="run",
        broker=broker,
        account=account,
        orders=totals,
        rate_limit_rejections=rate_limited,
        timing=_timing(elapsed_s, clock),
        latency_ms=Latency.of(latencies),
        classification=classification,
        strategies=strategies,
        rejections=rejections_of(i for slot in slots for i in slot.intents),
        loop=LoopHealth(stalls=list(stalls), stalled_answers=stalled_answers),
    )


def _classification(
    slots: Sequence[Slot], thresholds: LatencyThresholds, stalls: Sequence[LoopStall]
) -> tuple[Classification, int]:
    """Each answer's latency against the thresholds, except those whose wait overlapped a
    stall (counted apart): the loop, not the broker, made them late."""
    latencies_ms: list[float] = []
    held = 0
    for slot in slots:
        for intent in slot.intents:
            if intent.by_query or not intent.sent_ns or not intent.answered_ns:
                continue
            if intent.state not in (IntentState.ACCEPTED, IntentState.REJECTED):
                continue
            if stalled(stalls, intent.sent_ns, intent.answered_ns):
                held += 1
            else:
                latencies_ms.append((intent.answered_ns - intent.sent_ns) / 1e6)
    return Classification.of(latencies_ms, thresholds), held


def _strategy_entry(
    slot: Slot, counts: OrderCounts, slot_ms: list[float], sent_all: int
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": slot.spec.kind,
        "weight": slot.spec.weight,
        "state": slot.state,
        "error": slot.error,
        "time_up": slot.time_up,
        "orders": msgspec.to_builtins(counts),
        "sent": slot.lane.stats.orders,
        "requests": slot.lane.stats.requests,
        "share": round(slot.lane.stats.orders / sent_all, 4),
        "cancels": slot.cancels,
        "latency_ms": msgspec.to_builtins(Latency.of(slot_ms)),
    }
    if isinstance(slot.strategy, Twap):
        twap = slot.strategy
        entry["twap"] = {
            "parent_shares": twap.parent.quantity,
            "sent_shares": twap.sent_lots * 1000,
            "left_shares": twap.left_lots * 1000,
            "slices_done": twap.slices_done,
        }
    return entry


def _timing(elapsed_s: float, clock: ClockOffset | None) -> Timing:
    """The run's clock estimate as measured; no lower bound or efficiency."""
    return Timing(
        elapsed_s=round(elapsed_s, 6),
        clock_offset_ms=None if clock is None else round(clock.offset_ns / 1e6, 3),
        clock_error_ms=None if clock is None else round(clock.error_ns / 1e6, 3),
    )
