"""What `rush` adds to `fire`'s options: the target time, the latency classification's
thresholds, and the one TWSE rule every rusher must know."""

from __future__ import annotations

from datetime import time as time_of_day

import typer

from tradeburst.cli._options import non_negative
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
    """HH:MM:SS or HH:MM:SS.ffffff, a time of day."""
    try:
        parsed = time_of_day.fromisoformat(value)
    except ValueError:
        parsed = None
    fraction = value.partition(".")[2]
    if parsed is None or value.count(":") != 2 or parsed.tzinfo is not None or len(fraction) > 6:
        raise typer.BadParameter(
            f"{value!r} is not a time like 09:00:00 or 09:00:00.250000", param_hint="--at"
        )
    return parsed


def thresholds(realtime_ms: float, delayed_ms: float) -> LatencyThresholds:
    non_negative(realtime_ms, "--realtime-ms")
    if not realtime_ms < delayed_ms:
        raise typer.BadParameter(
            f"must be above --realtime-ms ({realtime_ms:g})", param_hint="--delayed-ms"
        )
    return LatencyThresholds(realtime_ms=realtime_ms, delayed_ms=delayed_ms)
