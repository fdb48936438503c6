"""The rehearsal exchange as a child process, so that it and its client do not share one
event loop (or one core): what the demo and the benchmarks run against. `serving` starts
it, yields its URL once it listens, and stops it."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

__all__ = ["exchange_child", "serving"]

START_TIMEOUT_S = 30.0


def exchange_child(*options: str) -> tuple[str, ...]:
    """The command line of `tradeburst exchange OPTIONS` on a free port."""
    return (sys.executable, "-m", "tradeburst", "exchange", "--port", "0", *options)


@contextlib.asynccontextmanager
async def serving(command: tuple[str, ...]) -> AsyncIterator[str]:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
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
        if process.returncode is None:
            process.terminate()
        await process.wait()
