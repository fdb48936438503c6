"""The busy-poll consumer: it spins on the ring's next slot, never sleeping or making a
system call while it waits, and calls the decision callback with each whole record. The
loop runs tuned (`_tuning`): pinned, SCHED_FIFO where permitted, the collector frozen and
off. It stops at a record count, at a deadline, or when the producer closes the ring, so
a real-time spinner never outlives its job; each overrun is logged with what it lost."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from tradeburst.hotpath._record import Tick
from tradeburst.hotpath._ring import RingReader
from tradeburst.hotpath._tuning import restore, tune

__all__ = ["BusyPollConsumer", "ConsumerReport"]

log = logging.getLogger(__name__)

Decide = Callable[[Tick], object]

_CHECK_EVERY = 1024
"""Idle spins between looks at the clock and the closed flag: cheap, but not free."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerReport:
    ticks: int
    missed: int
    overruns: int
    cpu: int | None
    realtime: bool
    notes: tuple[str, ...]


class BusyPollConsumer:
    def __init__(
        self,
        reader: RingReader,
        decide: Decide,
        *,
        cpu: int | None = None,
        realtime: bool = True,
    ) -> None:
        self._reader = reader
        self._decide = decide
        self._cpu = cpu
        self._realtime = realtime
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
        tuning = tune(cpu=self._cpu, realtime=self._realtime)
        if fresh:
            self._reader.catch_up()
        try:
            ticks = self._loop(max_ticks, time.perf_counter_ns() + int(timeout_s * 1e9))
        finally:
            restore(tuning)
        reader = self._reader
        return ConsumerReport(
            ticks=ticks,
            missed=reader.missed,
            overruns=reader.overruns,
            cpu=tuning.cpu,
            realtime=tuning.realtime,
            notes=tuple(tuning.notes),
        )

    def _loop(self, max_ticks: int | None, deadline_ns: int) -> int:
        reader, decide, poll = self._reader, self._decide, self._reader.poll
        limit = max_ticks if max_ticks is not None else sys.maxsize
        clock = time.perf_counter_ns
        ticks = idle = 0
        missed = reader.missed
        limit += missed
        while ticks + reader.missed < limit:
            tick = poll()
            if tick is not None:
                decide(tick)
                ticks += 1
                if self._stop:
                    break
                continue
            if reader.missed != missed:
                log.warning(
                    "consumer fell behind: %d ticks overwritten before they were read",
                    reader.missed - missed,
                )
                missed = reader.missed
                continue
            idle += 1
            if idle == _CHECK_EVERY:
                idle = 0
                if clock() > deadline_ns:
                    log.debug("consumer stopped at its deadline after %d ticks", ticks)
                    break
                if reader.closed and reader.published <= reader.next_index:
                    break
        return ticks
