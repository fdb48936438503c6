"""The JSON summary every order-sending command writes (the CLI's contract with scripts), and
the latency classification Taiwan desks use: 🟢 realtime under 1000 ms, 🟡 delayed under 5000 ms,
🔴 severe beyond; both thresholds configurable."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

__all__ = [
    "Classification",
    "FireError",
    "LateDuplicate",
    "Latency",
    "LatencyThresholds",
    "LoopHealth",
    "LoopStall",
    "OrderCounts",
    "Rejection",
    "Summary",
    "Timing",
    "percentile",
    "write_summary",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyThresholds:
    realtime_ms: float = 1000.0
    delayed_ms: float = 5000.0

    def classify(self, latency_ms: float) -> str:
        if latency_ms < self.realtime_ms:
            return "realtime"
        if latency_ms < self.delayed_ms:
            return "delayed"
        return "severe"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


class OrderCounts(msgspec.Struct, kw_only=True):
    total: int = 0
    accepted: int = 0
    rejected: int = 0
    unknown: int = 0
    resent: int = 0
    found_placed: int = 0
    """Settled by asking the broker: their answers were lost, or the run that sent them
    stopped before it knew (`resume`)."""
    not_sent: int = 0
    """Not placed when the run ended (stopped, the broker unreachable or refusing us):
    `resume` sends them."""


class FireError(msgspec.Struct, kw_only=True):
    """Stamps less the target, µs, signed: a negative figure is before the target."""

    p50: float = 0.0
    p99: float = 0.0
    max: float = 0.0
    min: float = 0.0
    """The earliest; negative when something came before the target."""
    early: int = 0
    """How many stamps came before the target: requests by our send stamps (never, by
    construction), orders by the exchange's receive stamps (an offset estimate thrown off by
    an uneven link can put them there)."""

    @classmethod
    def of(cls, errors_ns: Sequence[int]) -> FireError:
        """From send (or receive) stamps less the target, in ns; µs, to 0.1."""
        errors_us = [e / 1000 for e in errors_ns]
        return cls(
            p50=round(percentile(errors_us, 0.50), 1),
            p99=round(percentile(errors_us, 0.99), 1),
            max=round(max(errors_us, default=0.0), 1),
            min=round(min(errors_us, default=0.0), 1),
            early=sum(1 for e in errors_ns if e < 0),
        )


class Timing(msgspec.Struct, kw_only=True):
    """A figure that was not measured is null, never a made-up 0."""

    elapsed_s: float = 0.0
    lower_bound_s: float | None = None
    """Null where no one plan covers the run (`run`'s strategies send at their own times)."""
    efficiency: float | None = None
    fire_error_us: FireError | None = None
    """A rush's opening requests against its target, from our send stamps; null for a run
    without a target, or a rush stopped before it."""
    exchange_fire_error_us: FireError | None = None
    """The same from the exchange's receive stamps (network included); null when they
    could not be read (no admin key, a real broker)."""
    clock_offset_ms: float | None = None
    """Exchange clock less ours, as estimated for the run."""
    clock_error_ms: float | None = None


class Latency(msgspec.Struct, kw_only=True):
    p50: float = 0.0
    p90: float = 0.0
    p99: float = 0.0
    max: float = 0.0

    @classmethod
    def of(cls, values_ms: Sequence[float]) -> Latency:
        return cls(
            p50=percentile(values_ms, 0.50),
            p90=percentile(values_ms, 0.90),
            p99=percentile(values_ms, 0.99),
            max=max(values_ms, default=0.0),
        )


class Classification(msgspec.Struct, kw_only=True):
    realtime: int = 0
    delayed: int = 0
    severe: int = 0

    @classmethod
    def of(cls, values_ms: Sequence[float], thresholds: LatencyThresholds) -> Classification:
        counts = {"realtime": 0, "delayed": 0, "severe": 0}
        for value in values_ms:
            counts[thresholds.classify(value)] += 1
        return cls(**counts)


class LateDuplicate(msgspec.Struct, frozen=True, kw_only=True):
    """A second order at the broker under one client order id: a request that reached the
    broker after the request age, when the order had already been sent again."""

    user_def: str
    symbol: str
    order_no: str | None
    """The duplicate."""
    kept_order_no: str | None
    """The order the run settled on, which stands."""
    filled_qty: int
    """Shares the duplicate had filled when it was found (before any cancel)."""
    cancelled: bool
    note: str
    """What became of it: cancelled, or why it could not be."""


class LoopStall(msgspec.Struct, frozen=True, kw_only=True):
    """A time the event loop was held and nothing else ran: every answer that came meanwhile
    was read late, through no fault of the broker."""

    held_by: str | None
    """The strategy whose code held it; None when none did (the engine, the machine)."""
    callback: str | None
    """Which of its callbacks (`on_tick`, `run`, …)."""
    started_ns: int
    """Wall-clock ns the loop was last free."""
    held_ms: float


class LoopHealth(msgspec.Struct, kw_only=True):
    """`run` only: what held the event loop, and the answers that waited on it."""

    stalls: list[LoopStall] = msgspec.field(default_factory=list)
    stalled_answers: int = 0
    """Answers whose wait overlapped a stall: read late by us, so left out of the
    classification rather than counted against the broker."""


class Rejection(msgspec.Struct, kw_only=True):
    """An order the broker rejected, and why, as the broker said it."""

    user_def: str
    line: int
    """Its line in the orders file (a strategy's order: its number in the strategy)."""
    symbol: str
    reason: str


class Summary(msgspec.Struct, kw_only=True):
    command: str
    broker: str
    account: str
    orders: OrderCounts
    rate_limit_rejections: int = 0
    timing: Timing = msgspec.field(default_factory=Timing)
    latency_ms: Latency = msgspec.field(default_factory=Latency)
    classification: Classification = msgspec.field(default_factory=Classification)
    strategies: dict[str, Any] = msgspec.field(default_factory=dict)
    late_duplicates: list[LateDuplicate] = msgspec.field(default_factory=list)
    rejections: list[Rejection] = msgspec.field(default_factory=list)
    run_id: str | None = None
    journal: str | None = None
    """Where the run is journaled: a path, or a URL without its password."""
    loop: LoopHealth | None = None
    """`run` only (null where the loop was not watched): who held the event loop."""


def write_summary(summary: Summary, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.format(msgspec.json.encode(summary), indent=2) + b"\n")
