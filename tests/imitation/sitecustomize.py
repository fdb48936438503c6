"""Windows or macOS, imitated on Linux for one test process: what Python 3.11/3.12 lacks or
does differently there, taken away or changed here for real, so that tradeburst's fallbacks
run. Python imports `sitecustomize` from its path at start-up, before the program; the tests
put this folder on PYTHONPATH and set TRADEBURST_IMITATE_PLATFORM (`tests/_imitation.py`).
Never shipped, never imported by tradeburst.

Both platforms: no `os.sched_*` (no pinning to cores), no `os.fork`, and `spawn` as the
start method of child processes. Windows also: an event loop that takes no signal handler
(`NotImplementedError`, as the proactor loop), permission bits that say nothing (every
regular file reads 0o666, what Windows reports for a writable file whoever may read it),
and `time.monotonic` and `time.time` that tick every 15.625 ms, as `get_clock_info` then
says.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import stat
import time
import types
from typing import Any

PLATFORM = os.environ.get("TRADEBURST_IMITATE_PLATFORM", "")
TICK_NS = 15_625_000


def _without_cores_and_fork() -> None:
    for name in [n for n in dir(os) if n.startswith("sched_")] + ["fork", "forkpty"]:
        if hasattr(os, name):
            delattr(os, name)
    multiprocessing.set_start_method("spawn", force=True)


def _no_signal_handlers() -> None:
    def refuse(self: object, sig: int, callback: object, *args: object) -> None:
        raise NotImplementedError

    loop_class: Any = asyncio.SelectorEventLoop
    loop_class.add_signal_handler = refuse


def _bits_that_say_nothing() -> None:
    def blurred(real: Any) -> Any:
        def stat_of(*args: Any, **kwargs: Any) -> os.stat_result:
            result: os.stat_result = real(*args, **kwargs)
            if not stat.S_ISREG(result.st_mode):
                return result
            kind, (fields, extra) = result.__reduce__()
            mode = stat.S_IFMT(result.st_mode) | 0o666
            return kind((mode, *fields[1:]), extra)  # type: ignore[no-any-return]

        return stat_of

    os.stat = blurred(os.stat)
    os.lstat = blurred(os.lstat)
    os.fstat = blurred(os.fstat)


def _coarse_clocks() -> None:
    fine_monotonic_ns, fine_time_ns = time.monotonic_ns, time.time_ns
    clock_info = time.get_clock_info

    def monotonic_ns() -> int:
        return fine_monotonic_ns() // TICK_NS * TICK_NS

    def time_ns() -> int:
        return fine_time_ns() // TICK_NS * TICK_NS

    def get_clock_info(name: str) -> types.SimpleNamespace:
        info: types.SimpleNamespace = clock_info(name)
        if name in ("monotonic", "time"):
            info.resolution = TICK_NS / 1e9
        return info

    time.monotonic_ns = monotonic_ns
    time.monotonic = lambda: monotonic_ns() / 1e9
    time.time_ns = time_ns
    time.time = lambda: time_ns() / 1e9
    time.get_clock_info = get_clock_info


if PLATFORM in ("windows", "macos"):
    _without_cores_and_fork()
if PLATFORM == "windows":
    _no_signal_handlers()
    _bits_that_say_nothing()
    _coarse_clocks()
