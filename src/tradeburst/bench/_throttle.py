"""`tradeburst bench throttle`: what sharing one account's limits through Redis buys and
costs, in one run. It starts its own `redis-server` (on a free port, no persistence, in a
temporary folder) unless given one, then measures the cost of an admission and a release
(`_throttle_cost`) and the refusals of several bots on one account with and without the
shared throttle (`_throttle_runs`)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tradeburst.bench._throttle_cost import measure_cost
from tradeburst.bench._throttle_runs import measure_bots
from tradeburst.errors import TradeburstError

__all__ = ["run_throttle_bench"]

START_TIMEOUT_S = 10.0


async def run_throttle_bench(
    *, redis_url: str | None, rounds: int, bots: int, orders: int, concurrency: int
) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="tradeburst-bench-throttle-") as folder,
        _redis(Path(folder), redis_url) as url,
    ):
        figures = await measure_cost(url, rounds)
        figures.update(await measure_bots(Path(folder), url, bots, orders, concurrency))
    return figures


@contextlib.contextmanager
def _redis(folder: Path, url: str | None) -> Iterator[str]:
    """`url`, or a `redis-server` of our own for the bench's length."""
    if url is not None:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise TradeburstError(
            "bench throttle needs redis-server (apt-get install -y redis-server) or --redis URL"
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            if time.monotonic() > deadline:
                raise TradeburstError("redis-server did not start")
            time.sleep(0.05)
        time.sleep(2.0)  # past the first window a newly started server denies (a restart)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait()
