"""A run's figures, from its journal alone: per order, where its time went and the
comparison of the broker's time with ours; per broker and strategy, HDR histograms of each part; the
classification; the fire error of a rush; the send timeline against the limits.

Everything is computed from stamps the journal keeps (see `tradeburst.engine`), so a report
can be made long after the run, on another machine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tradeburst.clock import ExchangeDay
from tradeburst.engine import (
    DispatchRecord,
    Intent,
    IntentState,
    JournalLocation,
    RunRecord,
    RunSnapshot,
    read_run,
)
from tradeburst.latency import (
    ClockOffset,
    Component,
    LatencyHistogram,
    TripTimes,
    trip_of,
)
from tradeburst.limits import PROFILES, LimitProfile
from tradeburst.report._rejections import rejections_of
from tradeburst.summary import Classification, FireError, LatencyThresholds, Rejection

__all__ = ["OrderTiming", "RunFigures", "figures_of", "read_figures"]

PERCENTS = (50.0, 90.0, 99.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderTiming:
    """One answered order: its row of the time comparison and the split of its trip."""

    user_def: str
    strategy: str
    state: IntentState
    sent_ns: int
    """Local wall ns."""
    answered_ns: int
    broker_time: str | None
    """The broker's `last_time`, as it wrote it."""
    local_time: str
    """The answer's arrival, on the broker's clock through the offset, same form."""
    difference_ms: float
    """The time difference (`時間差異`): |local - broker|, or the round trip without a broker
    time."""
    classification: str
    trip: TripTimes
    first_fill_ns: int | None = None
    """The broker's time (epoch ns, its clock) of the order's first fill, if it had one
    when the run ended."""


@dataclass(slots=True, kw_only=True)
class RunFigures:
    run: RunRecord
    profile: LimitProfile | None
    clock: ClockOffset
    dispatches: list[DispatchRecord]
    orders: list[OrderTiming]
    counts: dict[str, int]
    """Intents per final state."""
    histograms: dict[tuple[str, str], dict[str, LatencyHistogram]] = field(default_factory=dict)
    """(broker, strategy) → component (and `total`, `round_trip`) → histogram."""
    classification: Classification = field(default_factory=Classification)
    fire_error_us: FireError | None = None
    exchange_fire_error_us: FireError | None = None
    sends_ns: list[tuple[int, int]] = field(default_factory=list)
    """(local wall ns, orders) per request, in time order."""
    rejections: list[Rejection] = field(default_factory=list)

    def percentiles_ms(self, broker: str, strategy: str, part: str) -> dict[str, float]:
        histogram = self.histograms[broker, strategy][part]
        figures = {f"p{p:g}": histogram.percentile_ms(p) for p in PERCENTS}
        figures["max"] = histogram.max_ms()
        figures["count"] = float(histogram.count)
        return figures


async def read_figures(
    where: JournalLocation | Path | str,
    run_id: str | None = None,
    thresholds: LatencyThresholds | None = None,
) -> RunFigures:
    """Read the run from its journal (raises `JournalError` when it is not one): a file's
    one run, or `run_id` of a shared journal."""
    return figures_of(await read_run(where, run_id), thresholds)


def figures_of(snapshot: RunSnapshot, thresholds: LatencyThresholds | None = None) -> RunFigures:
    """A run's figures, from what its journal holds."""
    thresholds = thresholds or LatencyThresholds()
    run, intents, dispatches = snapshot.run, snapshot.intents, snapshot.dispatches
    first_fills: dict[str, int] = {}
    for fill in snapshot.fills:  # in time order: the first one stays
        if fill.user_def:
            first_fills.setdefault(fill.user_def, fill.time_ns)
    clock = _first_clock(dispatches)
    orders = [
        _timing(intent, _clock_at(dispatches, intent.sent_ns) or clock, thresholds,
                first_fills.get(intent.user_def))
        for intent in intents
        if intent.state.is_final and intent.sent_ns and intent.answered_ns
        and not intent.by_query
    ]  # fmt: skip
    counts: dict[str, int] = defaultdict(int)
    for intent in intents:
        counts[intent.state.value] += 1
    figures = RunFigures(
        run=run,
        profile=PROFILES.get(run.profile),
        clock=clock,
        dispatches=dispatches,
        orders=orders,
        counts=dict(counts),
        sends_ns=_sends(intents, dispatches),
        rejections=rejections_of(intents),
    )
    _fill_histograms(figures)
    figures.classification = Classification.of([o.difference_ms for o in orders], thresholds)
    rushed = [d for d in dispatches if d.target_ns is not None and d.opening_sends_ns]
    if rushed:
        rush = rushed[0]
        assert rush.target_ns is not None
        figures.fire_error_us = FireError.of([s - rush.target_ns for s in rush.opening_sends_ns])
        if rush.opening_received_ns:
            target_broker_ns = rush.target_ns + rush.offset_ns
            figures.exchange_fire_error_us = FireError.of(
                [s - target_broker_ns for s in rush.opening_received_ns]
            )
    return figures


def _first_clock(dispatches: list[DispatchRecord]) -> ClockOffset:
    """The first dispatch's estimate; a journal from before estimates were kept has none,
    and its broker times are then compared raw, without an offset."""
    if not dispatches:
        return ClockOffset(offset_ns=0, rtt_ns=0, error_ns=0, reads=0)
    return _clock_of(dispatches[0])


def _timing(
    intent: Intent, clock: ClockOffset, thresholds: LatencyThresholds, first_fill_ns: int | None
) -> OrderTiming:
    trip = trip_of(intent, clock)
    local_ns = clock.to_broker_ns(intent.answered_ns)
    difference_ms = trip.compared_ms
    return OrderTiming(
        user_def=intent.user_def,
        strategy=intent.strategy,
        state=intent.state,
        sent_ns=intent.sent_ns,
        answered_ns=intent.answered_ns,
        broker_time=intent.last_time if trip.difference_ns is not None else None,
        local_time=ExchangeDay.containing(local_ns).clock_text(local_ns),
        difference_ms=difference_ms,
        classification=thresholds.classify(difference_ms),
        trip=trip,
        first_fill_ns=first_fill_ns,
    )


def _fill_histograms(figures: RunFigures) -> None:
    broker = figures.run.broker
    for order in figures.orders:
        for strategy in {"all", order.strategy or "all"}:
            parts = figures.histograms.setdefault((broker, strategy), {})
            for component in Component:
                parts.setdefault(component.value, LatencyHistogram()).record_ns(
                    order.trip.of(component)
                )
            parts.setdefault("round_trip", LatencyHistogram()).record_ns(
                order.answered_ns - order.sent_ns
            )
            parts.setdefault("total", LatencyHistogram()).record_ns(order.trip.total_ns)


def _clock_at(dispatches: list[DispatchRecord], sent_ns: int) -> ClockOffset | None:
    """The estimate of the dispatch that sent at `sent_ns`: a `resume` may run on another
    day, or against an exchange restarted with another clock."""
    chosen = None
    for dispatch in dispatches:
        if dispatch.started_ns <= sent_ns:
            chosen = dispatch
    return None if chosen is None else _clock_of(chosen)


def _clock_of(dispatch: DispatchRecord) -> ClockOffset:
    """The clock estimate a dispatch journaled."""
    return ClockOffset(
        offset_ns=dispatch.offset_ns,
        rtt_ns=dispatch.rtt_ns,
        error_ns=dispatch.offset_error_ns,
        reads=0,
    )


def _sends(intents: list[Intent], dispatches: list[DispatchRecord]) -> list[tuple[int, int]]:
    """Every request (refused ones too) as the dispatches kept them; from the intents'
    latest send stamps for a journal older than that (a batch's orders share one)."""
    if any(d.sends for d in dispatches):
        return sorted(send for d in dispatches for send in d.sends)
    per_stamp: dict[int, int] = defaultdict(int)
    for intent in intents:
        if intent.sent_ns:
            per_stamp[intent.sent_ns] += 1
    return sorted(per_stamp.items())
