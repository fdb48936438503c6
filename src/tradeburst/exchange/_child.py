"""The rehearsal exchange as a child process, so that it and its client do not share one
event loop (or one core): what the demo and the benchmarks run against. `serving` starts
it, yields its URL once it listens, and stops it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator

__all__ = ["exchange_child", "serving"]

START_TIMEOUT_S = 30.0


def exchange_child(*options: str) -> tuple[str, ...]:
    """The command line of `tradeburst exchange OPTIONS` on a free port."""
    return (sys.executable, "-m", "tradeburst", "exchange", "--port", "0", *options)


@contextlib.asynccontextmanager
async def serving(command: tuple[str, ...], *, own_core: bool = False) -> AsyncIterator[str]:
    """With `own_core`, the exchange gets the machine's last core and this process the
    others, while it serves: on one machine, the kernel otherwise wakes the exchange on the
    core of the client that just wrote to it, and the client's next requests wait for the
    exchange's work, which a broker across a network never makes them do."""
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    ours = _split_cores(process.pid) if own_core else None
    try:
        assert process.stdout is not None
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)).decode()
            if not line:
                raise RuntimeError(f"{' '.join(command[2:4])} exited before it served")
            if "listening on " in line:
                break
        yield line.split("listening on ", 1)[1].split()[0]
    finally:
        if ours is not None:
            os.sched_setaffinity(0, ours)
        if process.returncode is None:
            process.terminate()
        await process.wait()


def _split_cores(child_pid: int) -> set[int] | None:
    """Give `child_pid` the last core and this process the rest; what this process had, to
    restore it, or None when there is no core to spare."""
    try:
        ours = os.sched_getaffinity(0)
        if len(ours) < 2:
            return None
        last = max(ours)
        os.sched_setaffinity(child_pid, {last})
        os.sched_setaffinity(0, ours - {last})
    except OSError:  # not permitted here: share the cores as they come
        return None
    return ours
