"""How quiet a core is for busy polling: spin on it, tuned as the consumer is, reading the
clock, and keep every pause between two readings longer than a threshold (the idea of
jHiccup and sysjitter). Whatever takes the core away (a timer interrupt, the hypervisor
running someone else, real-time throttling) shows up as a pause, and no consumer on that
core answers a tick faster than its pauses allow: `wait_us` turns them into the wait of
a tick arriving at a random moment, as one from the network does. A producer on the same
machine can hide part of it: a pause of the whole virtual machine stops the producer too,
so its ticks are stamped after the pause, not during it."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from tradeburst.hotpath._tuning import restore, tune

__all__ = ["Hiccups", "measure_hiccups"]

DEFAULT_THRESHOLD_NS = 1000


@dataclass(frozen=True, slots=True)
class Hiccups:
    """What one probe (or several, `joined`) of a core found: how long it spun, and every
    pause over the threshold."""

    seconds: float
    """How long it spun: at least what was asked, more when a pause ran past the end."""
    pauses_ns: tuple[int, ...]
    """Every pause longer than `threshold_ns`, in the order they came."""
    threshold_ns: int = DEFAULT_THRESHOLD_NS

    @classmethod
    def joined(cls, parts: Iterable[Hiccups]) -> Hiccups:
        """Several probes of one core as one (their thresholds must agree)."""
        parts = list(parts)
        thresholds = {p.threshold_ns for p in parts} or {DEFAULT_THRESHOLD_NS}
        if len(thresholds) > 1:
            raise ValueError("probes with different thresholds cannot be joined")
        pauses = tuple(pause for part in parts for pause in part.pauses_ns)
        return cls(sum(p.seconds for p in parts), pauses, thresholds.pop())

    @property
    def lost_fraction(self) -> float:
        return sum(self.pauses_ns) / (self.seconds * 1e9) if self.seconds else 0.0

    @property
    def per_second(self) -> float:
        return len(self.pauses_ns) / self.seconds if self.seconds else 0.0

    @property
    def longest_us(self) -> float:
        return max(self.pauses_ns, default=0) / 1000

    def wait_us(self, quantile: float) -> float | None:
        """The wait of a tick arriving at a random moment, at `quantile`, from the pauses
        alone; None when it is under the threshold (shorter pauses are not kept). A tick
        that lands `u` into a pause of `g` waits `g - u`, so the share of moments waiting
        more than `w` is the sum of `g - w` over pauses longer than `w`, over the time."""
        if not 0 < quantile < 1:
            raise ValueError(f"a quantile is between 0 and 1, not {quantile}")
        budget = (1 - quantile) * self.seconds * 1e9
        longest_first = sorted(self.pauses_ns, reverse=True)
        total = 0
        for count, pause in enumerate(longest_first, start=1):
            total += pause
            following = longest_first[count] if count < len(longest_first) else 0
            # Between this pause and the next shorter one, the share above `w` is
            # (total - count * w); solve it for the budget.
            wait = (total - budget) / count
            if wait >= following:
                return wait / 1000 if wait >= self.threshold_ns else None
        return None


def measure_hiccups(
    seconds: float,
    *,
    cpu: int | None = None,
    realtime: bool = True,
    threshold_ns: int = DEFAULT_THRESHOLD_NS,
) -> Hiccups:
    """Spin for `seconds` on `cpu` (tuned as `BusyPollConsumer` is, and restored after),
    keeping the pauses longer than `threshold_ns`."""
    tuning = tune(cpu=cpu, realtime=realtime)
    try:
        pauses, spun_ns = _spin(int(seconds * 1e9), threshold_ns)
    finally:
        restore(tuning)
    return Hiccups(spun_ns / 1e9, tuple(pauses), threshold_ns)


def _spin(duration_ns: int, threshold_ns: int) -> tuple[list[int], int]:
    """The pauses, and how long the spin took: a pause that starts just before the end
    runs past it, and counts in full, so the time it lost is always within the time."""
    clock = time.perf_counter_ns
    pauses: list[int] = []
    keep = pauses.append
    start = previous = clock()
    end = previous + duration_ns
    while previous < end:
        now = clock()
        if now - previous > threshold_ns:
            keep(now - previous)
        previous = now
    return pauses, previous - start
