"""What `rush` adds to `fire`'s options: the target time, the latency classification's
thresholds, and the one TWSE rule every rusher must know."""

from __future__ import annotations

from datetime import time as time_of_day

import typer

from tradeburst.cli._options import non_negative, parse_clock
from tradeburst.summary import LatencyThresholds

__all__ = [
    "DEFAULT_DELAYED_MS",
    "DEFAULT_REALTIME_MS",
    "RANDOM_RANKING_NOTE",
    "parse_at",
    "thresholds",
]

DEFAULT_REALTIME_MS = LatencyThresholds().realtime_ms
DEFAULT_DELAYED_MS = LatencyThresholds().delayed_ms

RANDOM_RANKING_NOTE = (
    "TWSE ranks same-price orders entered before the 09:00 open at random: racing before "
    "09:00 buys no queue place. After 09:00, time priority counts."
)


def parse_at(value: str) -> time_of_day:
    """The rush's target, an exchange time."""
    parsed = parse_clock(value, "--at")
    assert parsed is not None
    return parsed


def thresholds(realtime_ms: float, delayed_ms: float) -> LatencyThresholds:
    non_negative(realtime_ms, "--realtime-ms")
    if not realtime_ms < delayed_ms:
        raise typer.BadParameter(
            f"must be above --realtime-ms ({realtime_ms:g})", param_hint="--delayed-ms"
        )
    return LatencyThresholds(realtime_ms=realtime_ms, delayed_ms=delayed_ms)
