"""`tradeburst bench seed-table`: the usual table of Python concurrency approaches, measured.
Each approach runs each workload in a fresh process (`_seed_worker`) while this process
samples the RSS of that process and its children every few milliseconds (the peak of their
sum is the figure: a pool of processes costs what all of them hold). I/O orders go to a
rehearsal exchange with 50 ms latency and no limits; after each approach the exchange's
admin API must show exactly the orders it claims, or the run fails. Pooled against unpooled:
two orders in a row on one kept-alive connection, and on a new connection each, to an
exchange whose requests take 100 ms and whose connections take 100 ms to set up."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from tradeburst.bench._hotpath import percentiles_us
from tradeburst.bench._servers import BENCH_KEY, exchange_server, serving

__all__ = ["APPROACHES", "SeedSizes", "count_orders", "run_approach", "run_seed_table"]

APPROACHES = (
    "sequential",
    "threads",
    "asyncio_pooled",
    "asyncio_multi_session",
    "run_in_executor",
    "multiprocessing",
)
PREFIXES = dict(zip(APPROACHES, ("SQ", "TH", "AP", "AM", "RE", "MP"), strict=True))
ADMIN_KEY = "bench-admin"
_SAMPLE_S = 0.005


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedSizes:
    io_orders: int = 400
    sequential_orders: int = 40
    """Sequential orders take the full 50 ms each: fewer of them give the same rate."""
    cpu_tasks: int = 12
    cpu_length: int = 60_000
    workers: int = 50
    """Threads, connections and tasks in flight (a common `limit_per_host=50`)."""
    processes: int = 8
    pool_rounds: int = 3


async def run_approach(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one approach in a fresh worker process; its figures and peak RSS (MB)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tradeburst.bench._seed_worker",
        json.dumps(spec),
        stdout=asyncio.subprocess.PIPE,
    )
    peak_kb = 0
    output = asyncio.ensure_future(process.communicate())
    while not output.done():
        peak_kb = max(peak_kb, _tree_rss_kb(process.pid))
        await asyncio.wait([output], timeout=_SAMPLE_S)
    stdout, _ = output.result()
    if process.returncode != 0:
        raise RuntimeError(f"{spec['approach']} ({spec['workload']}) failed")
    result: dict[str, Any] = json.loads(stdout)
    peak_kb = max(peak_kb, result["maxrss_kb"] or 0)  # None where not counted (Windows)
    result["rss_mb"] = peak_kb / 1024
    return result


def _tree_rss_kb(pid: int) -> int:
    """RSS of `pid` and its descendants, from /proc (0 once it has gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as status:
                total += next(
                    (int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0
                )
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as kids:
                pending.extend(int(child) for child in kids.read().split())
        except (OSError, ValueError):
            continue
    return total


async def count_orders(url: str, admin_key: str, prefix: str) -> int:
    """Orders the exchange holds whose user_def starts with `prefix`."""
    headers = {"Authorization": f"Bearer {admin_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + "/v1/admin/orders", headers=headers) as response,
    ):
        body = await response.json()
    return sum(1 for o in body["orders"] if (o["user_def"] or "").startswith(prefix))


def _row(result: dict[str, Any]) -> dict[str, float]:
    times = result["times_ms"]
    ranks = percentiles_us([round(t * 1000) for t in times])  # µs in, so ms out
    return {
        "throughput_per_s": result["done"] / result["elapsed_s"],
        "p50_ms": ranks["p50"],
        "p99_ms": ranks["p99"],
        "rss_mb": result["rss_mb"],
        "cpu_s": result["cpu_s"],
    }


async def measure_io(
    url: str, approach: str, sizes: SeedSizes, key: str, admin: str
) -> dict[str, float]:
    count = sizes.sequential_orders if approach == "sequential" else sizes.io_orders
    prefix = PREFIXES[approach]
    spec = {
        "workload": "io",
        "approach": approach,
        "url": url,
        "key": key,
        "prefix": prefix,
        "count": count,
        "workers": sizes.workers,
        "processes": sizes.processes,
    }
    result = await run_approach(spec)
    held = await count_orders(url, admin, prefix)
    if not result["done"] == held == count:
        raise RuntimeError(
            f"{approach} claims {result['done']} orders of {count}; the exchange holds {held}"
        )
    return _row(result)


async def run_seed_table(
    sizes: SeedSizes = SeedSizes(), progress: Any = lambda _: None
) -> dict[str, Any]:
    figures: dict[str, Any] = {"io": {}, "cpu": {}}
    command = exchange_server("none", "--latency-ms", "50", "--admin-key", ADMIN_KEY)
    async with serving(command) as url:
        for approach in APPROACHES:
            progress(f"io {approach}")
            figures["io"][approach] = await measure_io(url, approach, sizes, BENCH_KEY, ADMIN_KEY)
    for approach in APPROACHES:
        progress(f"cpu {approach}")
        spec = {
            "workload": "cpu",
            "approach": approach,
            "count": sizes.cpu_tasks,
            "length": sizes.cpu_length,
            "workers": sizes.workers,
            "processes": sizes.processes,
        }
        figures["cpu"][approach] = _row(await run_approach(spec))
    progress("pooled against unpooled")
    figures["pool"] = await _pooled_vs_unpooled(sizes.pool_rounds)
    figures["sizes"] = {
        "io_orders": sizes.io_orders,
        "sequential_orders": sizes.sequential_orders,
        "cpu_tasks": sizes.cpu_tasks,
        "cpu_length": sizes.cpu_length,
        "workers": sizes.workers,
        "processes": sizes.processes,
    }
    return figures


async def _pooled_vs_unpooled(rounds: int) -> dict[str, float]:
    command = exchange_server(
        "none", "--latency-ms", "100", "--connect-delay-ms", "100", "--admin-key", ADMIN_KEY
    )
    headers = {"Authorization": f"Bearer {BENCH_KEY}"}
    body = {"symbol": "2891", "buy_sell": "Buy", "quantity": 1000, "price": "40.00"}
    pooled: list[float] = []
    unpooled: list[float] = []
    async with serving(command) as url:
        for _ in range(rounds):
            for force_close, into in ((False, pooled), (True, unpooled)):
                connector = aiohttp.TCPConnector(force_close=force_close)
                async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
                    started = time.perf_counter()
                    for _ in range(2):
                        async with session.post(url + "/v1/orders", json=body) as response:
                            await response.read()
                    into.append((time.perf_counter() - started) * 1000)
    return {"pooled_ms": statistics.median(pooled), "unpooled_ms": statistics.median(unpooled)}
