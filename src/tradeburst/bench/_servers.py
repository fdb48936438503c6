"""Servers the benchmarks measure against, each in its own process so that client and
server do not share one core: the rehearsal exchange (always open, no house liquidity) and
a bare aiohttp handler. `serving` starts one, yields its URL, and stops it."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

__all__ = ["BENCH_KEY", "bare_server", "exchange_server", "serving"]

BENCH_KEY = "bench-key"


def exchange_server(profile: str, *extra: str) -> tuple[str, ...]:
    return (
        sys.executable,
        "-m",
        "tradeburst",
        "exchange",
        "--port",
        "0",
        "--profile",
        profile,
        "--always-open",
        "--no-liquidity",
        "--api-key",
        BENCH_KEY,
        "--seed",
        "1",
        *extra,
    )


def bare_server() -> tuple[str, ...]:
    return (sys.executable, "-m", "tradeburst.bench._bare_server")


@contextlib.asynccontextmanager
async def serving(command: tuple[str, ...]) -> AsyncIterator[str]:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        assert process.stdout is not None
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            if not line:
                raise RuntimeError(f"{' '.join(command[2:4])} exited before it served")
            if "listening on " in line:
                break
        yield line.split("listening on ", 1)[1].split()[0]
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
