"""A latency histogram that keeps its precision from microseconds to an hour in fixed
memory (HdrHistogram, three significant digits), so a run of any length can show its
p50/p99 live and a report can merge runs without keeping every sample. The smallest and
largest values are also kept exactly: the maximum is the true one, and no percentile
reads beyond the values seen (HdrHistogram gives the top of a value's bucket, up to 0.1 %
above it)."""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

__all__ = ["LatencyHistogram"]

_LOWEST_US = 1
_HIGHEST_US = 3_600_000_000
_DIGITS = 3


class LatencyHistogram:
    """Durations recorded in ns, held in µs, read back in ms."""

    def __init__(self) -> None:
        self._hdr = HdrHistogram(_LOWEST_US, _HIGHEST_US, _DIGITS)
        self._min_us = _HIGHEST_US
        self._max_us = 0

    def record_ns(self, duration_ns: int) -> None:
        # Whole microseconds: a part that took none (no throttle wait) reads back as 0.
        value_us = min(max(duration_ns // 1000, 0), _HIGHEST_US)
        self._hdr.record_value(value_us)
        self._min_us = min(self._min_us, value_us)
        self._max_us = max(self._max_us, value_us)

    @property
    def count(self) -> int:
        return int(self._hdr.get_total_count())

    def percentile_ms(self, percent: float) -> float:
        """The value at `percent` (0–100); 0.0 when empty."""
        if not self.count:
            return 0.0
        value_us = self._hdr.get_value_at_percentile(percent)
        return float(min(max(value_us, self._min_us), self._max_us)) / 1000

    def max_ms(self) -> float:
        return float(self._max_us) / 1000 if self.count else 0.0

    def merge(self, other: LatencyHistogram) -> None:
        self._hdr.add(other._hdr)
        self._min_us = min(self._min_us, other._min_us)
        self._max_us = max(self._max_us, other._max_us)
