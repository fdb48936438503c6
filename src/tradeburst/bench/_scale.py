"""`tradeburst bench engine --scale`: how the engine's cost grows with the size of a job.
Each size (by default 1,000, 10,000 and 100,000 orders, profile none) is fired at a fresh
rehearsal exchange in its own process, by a worker in a process of its own
(`_scale_worker`), so no size inherits another's book, heap or high-water mark. Side by
side, per size: orders/s, the engine's CPU per order (the whole fire, and the dispatch
alone with the share of a core it used) and the exchange's over the same fire, RSS growth
per order, reading, validation and
journaling per order (elapsed and CPU), and the load average; then orders/s's spread
across the sizes (goal: within ±20 % of their mean) beside the same spread of the CPU per
order (which a shared machine's load barely moves), the largest RSS growth (goal: ≤ 2 kB
an order) and each per-order cost at the largest size ÷ at the smallest (goal: about 1, a
flat cost per order being linear).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tradeburst.bench._servers import BENCH_KEY, exchange_server
from tradeburst.brokers import SimBroker
from tradeburst.demo import sample_orders, write_orders_csv

__all__ = ["SCALE_SIZES", "run_scale_bench"]

START_TIMEOUT_S = 30.0

SCALE_SIZES = (1000, 10_000, 100_000)
PER_ORDER_COSTS = (
    "fire_cpu_us_per_order",
    "exchange_cpu_us_per_order",
    "dispatch_cpu_us_per_order",
    "reading_us_per_order",
    "reading_cpu_us_per_order",
    "validation_us_per_order",
    "validation_cpu_us_per_order",
    "journaling_us_per_order",
    "journaling_cpu_us_per_order",
)

_FROM_A_SMALL_PARENT = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"
"""Linux carries a process's peak RSS across exec from the process that forked it: the
worker, forked from this one (holding a size's orders), would start at this one's peak.
Forked from a fresh small interpreter, it starts at that one's."""


@contextlib.asynccontextmanager
async def _exchange() -> AsyncIterator[tuple[str, int]]:
    """A fresh exchange of profile none in its own process: its URL and its process id (the
    worker reads the exchange's CPU time over the fire by it)."""
    process = await asyncio.create_subprocess_exec(
        *exchange_server("none"), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = ""
        while "listening on " not in line:
            read = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
            if not read:
                raise RuntimeError("the exchange exited before it served")
            line = read.decode()
        yield line.split("listening on ", 1)[1].split()[0], process.pid
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def _one_size(count: int, folder: Path) -> dict[str, Any]:
    async with _exchange() as (url, exchange_pid):
        async with SimBroker(url, BENCH_KEY) as broker:
            instruments = list((await broker.instruments()).values())
        path = write_orders_csv(sample_orders(instruments, count, seed=count), folder / "o.csv")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _FROM_A_SMALL_PARENT,
            sys.executable, "-m", "tradeburst.bench._scale_worker",
            url, BENCH_KEY, str(path), str(folder), str(exchange_pid),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
    if process.returncode != 0:
        last = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"bench engine --scale: {count} orders failed: {last}")
    figures: dict[str, Any] = json.loads(out)
    return figures


def _spread(values: list[float | None]) -> float | None:
    """The largest distance from the mean, as a fraction of the mean: 0.2 is ±20 %."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    if len(known) != len(values) or not known:
        return None
    mean = sum(known) / len(known)
    return max(abs(v - mean) for v in known) / mean if mean else None


def _ratio(top: float, bottom: float) -> float | None:
    return top / bottom if bottom > 0 and math.isfinite(top / bottom) else None


async def run_scale_bench(sizes: tuple[int, ...] = SCALE_SIZES) -> dict[str, Any]:
    per_size: dict[str, dict[str, Any]] = {}
    for count in sorted(set(sizes)):
        with tempfile.TemporaryDirectory() as name:
            per_size[str(count)] = await _one_size(count, Path(name))
    rows = list(per_size.values())
    return {
        "sizes": per_size,
        "orders_per_s_spread": _spread([r["orders_per_s"] for r in rows]),
        # The same spread of the engine's CPU per order, which the machine's load moves
        # far less: flat here and spread in orders/s is the machine's doing.
        "fire_cpu_per_order_spread": _spread([r["fire_cpu_us_per_order"] for r in rows]),
        "rss_growth_bytes_per_order_max": max(
            (
                r["rss_growth_bytes_per_order"]
                for r in rows
                if r["rss_growth_bytes_per_order"] is not None
            ),
            default=None,
        ),
        # Linear cost is a flat cost per order: the largest size's ÷ the smallest's is 1.
        **{
            f"{key}_largest_over_smallest": _ratio(rows[-1][key], rows[0][key])
            for key in PER_ORDER_COSTS
        },
    }
