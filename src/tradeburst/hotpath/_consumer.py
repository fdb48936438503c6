"""The busy-poll consumer: it spins on the ring's next slot, never sleeping or making a
system call while it waits, and calls the decision callback with each whole record;
between looks it keeps the decision's path warm (`RingReader.spin`). The loop runs tuned
(`_tuning`): pinned, SCHED_FIFO and memory locked where permitted, the collector frozen
and off. It stops at a record count, at a deadline, or when the producer closes the ring,
so a real-time spinner never outlives its job; each overrun is logged with what it lost."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from tradeburst._platform import page_faults
from tradeburst.hotpath._record import Tick
from tradeburst.hotpath._ring import RingReader
from tradeburst.hotpath._tuning import restore, tune

__all__ = ["BusyPollConsumer", "ConsumerReport"]

log = logging.getLogger(__name__)

Decide = Callable[[Tick], object]
"""Called with each whole record; it is the decision, so keep it short: the loop waits
for nothing else while it runs."""

Warm = Callable[[Tick], object]
"""Called while waiting, tens of thousands of times a second, with the last tick decided
on: the decision's computation with nothing acted on, to keep it in the core's caches.
It must never place an order or store anything (it sees the same tick again and again),
and it should be no slower than the decision: a tick that lands while it runs waits."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerReport:
    """What one `run` did: its ticks, and the records it found overwritten."""

    ticks: int
    missed: int
    overruns: int
    cpu: int | None
    realtime: bool
    memory_locked: bool
    page_faults: int | None
    """Page faults the process took inside the loop (tuning, locking included, is not
    counted): with its memory locked, none should land there. None where not counted."""
    notes: tuple[str, ...]


class BusyPollConsumer:
    def __init__(
        self,
        reader: RingReader,
        decide: Decide,
        *,
        cpu: int | None = None,
        realtime: bool = True,
        warm: Warm | None = None,
        keep_warm: bool = True,
    ) -> None:
        self._reader = reader
        self._decide = decide
        self._cpu = cpu
        self._realtime = realtime
        self._warm = warm
        self._keep_warm = keep_warm
        self._stop = False

    def stop(self) -> None:
        """End the loop after the record being decided on (call it from `decide`)."""
        self._stop = True

    def run(
        self, *, max_ticks: int | None = None, timeout_s: float = 10.0, fresh: bool = False
    ) -> ConsumerReport:
        """Poll until `max_ticks` records were decided on (or missed), the ring closes,
        `timeout_s` passes, or `decide` calls `stop`. `fresh` passes over records published
        before the loop starts (after tuning, which can take milliseconds)."""
        self._stop = False
        reader = self._reader
        missed, overruns = reader.missed, reader.overruns
        tuning = tune(cpu=self._cpu, realtime=self._realtime)
        try:
            if fresh:
                reader.catch_up()
            before = page_faults()
            ticks = self._loop(max_ticks, time.perf_counter_ns() + int(timeout_s * 1e9))
            after = page_faults()
            faults = None if before is None or after is None else after - before
        finally:
            restore(tuning)
        return ConsumerReport(
            ticks=ticks,
            missed=reader.missed - missed,
            overruns=reader.overruns - overruns,
            cpu=tuning.cpu,
            realtime=tuning.realtime,
            memory_locked=tuning.memory_locked,
            page_faults=faults,
            notes=tuple(tuning.notes),
        )

    def _loop(self, max_ticks: int | None, deadline_ns: int) -> int:
        reader = self._reader
        limit = (max_ticks if max_ticks is not None else sys.maxsize) + reader.missed
        ticks = reader.spin(
            self._decide,
            limit=limit,
            deadline_ns=deadline_ns,
            stopped=self._stopped,
            warm=self._warm,
            keep_warm=self._keep_warm,
        )
        if ticks + reader.missed < limit and not self._stop:
            log.debug("consumer stopped after %d ticks (deadline or ring closed)", ticks)
        return ticks

    def _stopped(self) -> bool:
        return self._stop
