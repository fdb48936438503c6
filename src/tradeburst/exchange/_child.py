"""The rehearsal exchange as a child process, so that it and its client do not share one
event loop (or one core): what the demo and the benchmarks run against. `serving` starts
it, yields its URL once it listens, and stops it. The child is a fresh interpreter (never a
fork), so it starts the same way on Linux, macOS and Windows."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

from tradeburst._platform import allowed_cores, set_cores

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
    exchange's work, which a broker across a network never makes them do. Where processes
    cannot be pinned (macOS, Windows), one line says so and they share the cores."""
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
            set_cores(0, ours)
        if process.returncode is None:
            process.terminate()
        await process.wait()


def _split_cores(child_pid: int) -> set[int] | None:
    """Give `child_pid` the last core and this process the rest; what this process had, to
    restore it, or None when there is no core to spare or no pinning here."""
    ours = allowed_cores()
    if ours is None or len(ours) < 2:
        return None
    last = max(ours)
    if not set_cores(child_pid, {last}) or not set_cores(0, ours - {last}):
        return None
    return ours
