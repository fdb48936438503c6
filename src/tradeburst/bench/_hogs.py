"""CPU hogs for a benchmark under load: one process per core this process may run on, each
spinning in pure Python while the load is on and blocked (taking no CPU) while it is off, so
that a benchmark can alternate quiet and loaded rounds in one run. They are stopped, and
waited for, on leaving, whatever ended the benchmark."""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.synchronize import Event
from types import TracebackType

from tradeburst._platform import allowed_cores

__all__ = ["Hogs"]

_LOOK_EVERY = 100_000
"""Spins between two looks at the switch: a few milliseconds of pure Python."""


def _hog(on: Event, stop: Event) -> None:
    while not stop.is_set():
        if not on.is_set():
            on.wait(0.5)
            continue
        for _ in range(_LOOK_EVERY):
            pass


class Hogs:
    """`count` hog processes (default: one per core allowed), off until `on()`."""

    def __init__(self, count: int | None = None) -> None:
        cores = allowed_cores()
        self.count = count or (len(cores) if cores else os.cpu_count() or 1)
        context = multiprocessing.get_context("spawn")
        self._on = context.Event()
        self._stop = context.Event()
        self._processes = [
            context.Process(target=_hog, args=(self._on, self._stop), daemon=True)
            for _ in range(self.count)
        ]

    def on(self) -> None:
        self._on.set()

    def off(self) -> None:
        self._on.clear()

    def __enter__(self) -> Hogs:
        for process in self._processes:
            process.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._on.clear()
        for process in self._processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
