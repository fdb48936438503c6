"""`tradeburst bench engine`: the burst engine measured against its targets, each figure
beside its reference from the same run. The exchange runs in its own process.

- efficiency: the job's lower bound ÷ elapsed under the Fubon profile, for 100, 500 and
  2000 orders, beside fixed chunked pacing (chunks of 5 single orders, 10 ms apart)
  sent through the same engine and throttle. Where the whole job fits one window (100
  orders) no limit binds and the bound is one round trip, so the elapsed time is the
  exchange's own work: a bare aiohttp client sending the same batch calls all at once is
  timed beside it (`bare_same_calls_elapsed_s`). The engine is also measured against an
  exchange where a batch call counts its orders toward the 50 orders/s, the other reading
  of Fubon's undocumented rule (`efficiency_if_batches_count_orders`);
- overhead: orders/s through the engine with limits off and single orders, ÷ orders/s of
  a bare aiohttp loop with the same connections and the same order bodies, in each of six
  rounds of the two back to back, taking turns at going first (the exchange's book grows
  as they run): every round's ratio, their median and lowest (goal: ≥ 0.9 in every round),
  each client's CPU µs an order in each round (the engine's over its dispatch), and the
  cores the machine's other processes kept busy during each run (`_engine_neighbours`);
- memory: peak RSS of `tradeburst fire` with 10,000 orders in flight at once against an
  exchange that answers after 2 s, beside a client with one thread per order;
- efficiency at 30 and 80 ms of latency, slots released from the answer beside slots
  released from the exchange's receive stamp (`_engine_latency`).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from tradeburst.bench._engine_latency import latency_efficiency
from tradeburst.bench._engine_neighbours import MachineReading, read_machine
from tradeburst.bench._servers import BENCH_KEY, exchange_server, serving
from tradeburst.brokers import SimBroker
from tradeburst.demo import sample_orders, write_orders_csv
from tradeburst.engine import Dispatcher, FireOptions, ManualPacing, fire

__all__ = ["EngineSizes", "run_engine_bench"]

EFFICIENCY_SIZES = (100, 500, 2000)
ONE_WINDOW_ORDERS = 350
"""What the Fubon limits take in one second: 10 batch calls of 30 and 50 single orders."""
GUIDE_PACING = ManualPacing(chunk_size=5, delay_s=0.010)
OVERHEAD_ORDERS = 4000
_BARE_HEADERS = {"Authorization": f"Bearer {BENCH_KEY}", "Content-Type": "application/json"}
_encode = msgspec.json.Encoder(decimal_format="string").encode
OVERHEAD_CONCURRENCY = 16
OVERHEAD_ROUNDS = 6
OVERHEAD_GOAL = 0.9
"""The engine's orders/s ÷ the bare loop's, at least, in every round."""
MEMORY_ORDERS = 10_000
SLOW_EXCHANGE_MS = 2000
LATENCY_ORDERS = 2000


@dataclass(frozen=True, slots=True)
class EngineSizes:
    """How much each part measures; the defaults are the published figures', smaller sizes
    make a smoke run of the whole benchmark in seconds."""

    efficiency: tuple[int, ...] = EFFICIENCY_SIZES
    overhead_orders: int = OVERHEAD_ORDERS
    overhead_rounds: int = OVERHEAD_ROUNDS
    memory_orders: int = MEMORY_ORDERS
    memory_latency_ms: int = SLOW_EXCHANGE_MS
    """How long the memory part's exchange takes to answer: what holds every order in flight
    (and what makes that part take most of a minute, the engine's setup calls included)."""
    latency_orders: int = LATENCY_ORDERS
    """The job of the efficiency-at-latency part (0 leaves it out)."""


async def orders_file(url: str, count: int, folder: Path, name: str) -> Path:
    """`count` sample orders in a file, priced for the exchange at `url`."""
    return (await _orders(url, count, folder, name))[0]


async def _orders(url: str, count: int, folder: Path, name: str) -> tuple[Path, list[Any]]:
    async with SimBroker(url, BENCH_KEY) as broker:
        instruments = list((await broker.instruments()).values())
    orders = sample_orders(instruments, count, seed=count)
    return write_orders_csv(orders, folder / f"{name}.csv"), orders


async def fire_bench(
    url: str,
    path: Path,
    folder: Path,
    watch: Callable[[Dispatcher], None] | None = None,
    **options: Any,
) -> Any:
    broker = SimBroker(url, BENCH_KEY, connections=options.pop("connections", None))
    journal = folder / f"journal-{time.monotonic_ns()}.sqlite"
    try:
        # The contenders send the same orders on purpose: not a repeat to refuse.
        terms = FireOptions(journal=journal, again=True, **options)
        return await fire(path, broker, terms, watch=watch)
    finally:
        await broker.aclose()


async def _efficiency(folder: Path, sizes: tuple[int, ...]) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "efficiency": {},
        "guide_pacing_efficiency": {},
        "elapsed_s": {},
        "guide_pacing_elapsed_s": {},
        "lower_bound_s": {},
        "guide_pacing_lower_bound_s": {},
    }
    refusals = guide_refusals = 0
    async with serving(exchange_server("fubon")) as url:
        for count in sizes:
            path, bodies = await _orders(url, count, folder, f"eff{count}")
            if count <= ONE_WINDOW_ORDERS:
                await asyncio.sleep(1.2)
                figures.setdefault("bare_same_calls_elapsed_s", {})[str(count)] = round(
                    await _bare_batches(url, bodies), 6
                )
            for key, pacing in (("", None), ("guide_pacing_", GUIDE_PACING)):
                await asyncio.sleep(1.2)  # the previous run's windows empty
                result = await fire_bench(url, path, folder, pacing=pacing)
                timing = result.summary.timing
                figures[f"{key}efficiency"][str(count)] = timing.efficiency
                figures[f"{key}elapsed_s"][str(count)] = timing.elapsed_s
                figures[f"{key}lower_bound_s"][str(count)] = timing.lower_bound_s
                if pacing is None:
                    refusals += result.summary.rate_limit_rejections
                else:
                    guide_refusals += result.summary.rate_limit_rejections
    strict, strict_refusals = await _efficiency_if_batches_count(folder, sizes)
    figures["efficiency_if_batches_count_orders"] = strict
    figures["rate_limit_rejections"] = refusals + strict_refusals
    figures["guide_pacing_rate_limit_rejections"] = guide_refusals
    return figures


async def _efficiency_if_batches_count(
    folder: Path, sizes: tuple[int, ...]
) -> tuple[dict[str, float | None], int]:
    """The engine alone, against an exchange whose batch calls also count their orders
    toward the 50 orders/s (Fubon does not say whether they do)."""
    efficiency: dict[str, float | None] = {}
    refusals = 0
    async with serving(exchange_server("fubon", "--batch-counts-orders")) as url:
        for count in sizes:
            path, _ = await _orders(url, count, folder, f"strict{count}")
            await asyncio.sleep(1.2)
            result = await fire_bench(url, path, folder)
            efficiency[str(count)] = result.summary.timing.efficiency
            refusals += result.summary.rate_limit_rejections
    return efficiency, refusals


async def _bare_batches(url: str, bodies: list[dict[str, Any]]) -> float:
    """Seconds for a bare client to send `bodies` as batch calls of 30, all at once, over
    warm connections; the orders are sent again under new tags so both runs place them.
    Like the engine's, its request bodies are encoded before the clock starts."""
    headers = _BARE_HEADERS
    tagged = [{**body, "user_def": f"BARE{index:06d}"} for index, body in enumerate(bodies)]
    chunks = [_encode({"orders": tagged[i : i + 30]}) for i in range(0, len(tagged), 30)]
    connector = aiohttp.TCPConnector(limit=len(chunks))
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(
            *(session.get(url + "/v1/time", headers=headers) for _ in range(len(chunks)))
        )

        async def post(chunk: bytes) -> None:
            async with session.post(
                url + "/v1/orders/batch", data=chunk, headers=headers
            ) as answer:
                await answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"bare batch refused: HTTP {answer.status}")

        started = time.perf_counter()
        await asyncio.gather(*(post(chunk) for chunk in chunks))
        return time.perf_counter() - started


async def _bare_loop(
    url: str, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[float, float]:
    """Orders/s of a bare client posting `bodies` one at a time over `concurrency` warm
    connections, and its CPU µs an order. Its bodies are encoded before the clock starts,
    as the engine's are (`Broker.prepare`): the comparison is of sending, not of JSON
    encoders."""
    headers = _BARE_HEADERS
    encoded = [_encode(body) for body in bodies]
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(
            *(session.get(url + "/v1/time", headers=headers) for _ in range(concurrency))
        )
        queue = iter(encoded)

        async def worker() -> None:
            for body in queue:
                async with session.post(url + "/v1/orders", data=body, headers=headers) as answer:
                    await answer.read()
                    if answer.status != 200:
                        raise RuntimeError(f"bare loop refused: HTTP {answer.status}")

        started, cpu_started = time.perf_counter(), time.process_time_ns()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu_ns = time.perf_counter() - started, time.process_time_ns() - cpu_started
        return len(bodies) / elapsed, cpu_ns / 1000 / len(bodies)


async def _overhead(folder: Path, orders: int, rounds: int) -> dict[str, Any]:
    engine: list[float] = []
    bare: list[float] = []
    engine_cpu: list[float] = []
    bare_cpu: list[float] = []
    machine: list[dict[str, dict[str, float]]] = []
    async with serving(exchange_server("none")) as url:
        for round_no in range(rounds):
            path, bodies = await _orders(url, orders, folder, f"over{round_no}")
            for index, body in enumerate(bodies):  # tagged like the engine's, 10 characters
                body["user_def"] = f"BARE{round_no:02d}{index:04d}"
            machine.append({})
            # The book grows with every run: take turns at going first.
            for contender in ("bare", "engine") if round_no % 2 == 0 else ("engine", "bare"):
                before = read_machine()
                if contender == "bare":
                    rate, cpu_us = await _bare_loop(url, bodies, OVERHEAD_CONCURRENCY)
                    bare.append(rate)
                    bare_cpu.append(cpu_us)
                    _note_machine(machine[-1], contender, before)
                    continue
                dispatchers: list[Dispatcher] = []
                result = await fire_bench(
                    url,
                    path,
                    folder,
                    max_batch=1,
                    connections=OVERHEAD_CONCURRENCY,
                    concurrency=OVERHEAD_CONCURRENCY,
                    watch=dispatchers.append,
                )
                engine.append(orders / result.summary.timing.elapsed_s)
                engine_cpu.append(dispatchers[0].stats.cpu_ns / 1000 / orders)
                _note_machine(machine[-1], contender, before)
    ratios = [e / b for e, b in zip(engine, bare, strict=True)]
    return {
        # Each round's two runs go back to back, so their ratio cancels the drift of a
        # shared machine's load; the median of the rounds resists one noisy round, and
        # the goal is every round's.
        "overhead_ratio": statistics.median(ratios),
        "overhead_ratio_per_round": [round(r, 3) for r in ratios],
        "overhead_ratio_min": min(ratios),
        "overhead_every_round_meets_goal": min(ratios) >= OVERHEAD_GOAL,
        "engine_orders_per_s": statistics.median(engine),
        "bare_orders_per_s": statistics.median(bare),
        "engine_orders_per_s_per_round": [round(r) for r in engine],
        "bare_orders_per_s_per_round": [round(r) for r in bare],
        # What each client spent of the CPU an order, per round: where the machine leaves
        # the client less than a core, this is what the ratio follows.
        "engine_cpu_us_per_order_per_round": [round(c, 1) for c in engine_cpu],
        "bare_cpu_us_per_order_per_round": [round(c, 1) for c in bare_cpu],
        # Cores busy on average through each run: the neighbours' (`others`), the host's
        # steal, the client's and the exchange's. A low round whose engine run met more of
        # the neighbours than its bare run is the machine's, not the engine's.
        "overhead_machine_cores_per_round": machine if any(machine) else None,
    }


def _note_machine(
    into: dict[str, dict[str, float]], contender: str, before: MachineReading | None
) -> None:
    """The machine through one contender's run, its setup included (for the engine: the
    broker's connection, the clock reads, the journal)."""
    after = read_machine()
    if before is not None and after is not None:
        into[contender] = after.cores_since(before)


async def _peak_rss_mb(*command: str) -> tuple[float, str]:
    """Peak RSS of `command`, run under a tiny parent that reports its child's high mark,
    and the last word the command printed; NaN where the platform does not tell."""
    probe = (
        "import subprocess, sys\n"
        "from tradeburst._platform import peak_rss_kb\n"
        "run = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)\n"
        "last = (run.stdout.split() or ['-'])[-1]\n"
        "print(run.returncode, peak_rss_kb(children=True) or 'nan', last)\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", probe, *command, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    code, rss_kb, last = out.split()
    if int(code) != 0:
        raise RuntimeError(f"{command[2:4]} failed with exit code {int(code)}")
    return float(rss_kb) / 1024, last.decode()


async def _memory(folder: Path, orders: int, latency_ms: int) -> dict[str, Any]:
    # Every order in flight at once, from one address, with ten thousand threads slow to
    # write their headers: what the exchange's guard against idle floods refuses by default.
    flood: tuple[str, ...] = ("--connections-per-source", str(orders + 100))
    flood += ("--header-timeout-s", "120", "--body-timeout-s", "120")
    slow = ("--latency-ms", str(latency_ms))
    async with serving(exchange_server("none", *slow, *flood)) as url:
        path, _ = await _orders(url, orders, folder, "memory")
        connections = str(orders // 30 + 1)  # every batch in flight at once
        engine, _ = await _peak_rss_mb(
            sys.executable,
            "-m",
            "tradeburst",
            "fire",
            str(path),
            "--url",
            url,
            "--api-key",
            BENCH_KEY,
            "--concurrency",
            connections,
            "--journal",
            str(folder / "memory.sqlite"),
        )
        threads, failed = await _peak_rss_mb(
            sys.executable, "-m", "tradeburst.bench._thread_client", url, BENCH_KEY, str(path)
        )
    return {
        "memory_orders": orders,  # the keys keep their published names at any size
        "rss_mb_10k_in_flight": engine,
        "rss_mb_threads_10k": threads,
        "threads_failed_orders": int(failed),
    }


async def run_engine_bench(sizes: EngineSizes | None = None) -> dict[str, Any]:
    sizes = sizes or EngineSizes()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        figures = await _efficiency(folder, sizes.efficiency)
        figures.update(await _overhead(folder, sizes.overhead_orders, sizes.overhead_rounds))
        figures.update(await _memory(folder, sizes.memory_orders, sizes.memory_latency_ms))
        if sizes.latency_orders:
            figures.update(
                await latency_efficiency(folder, sizes.latency_orders, orders_file, fire_bench)
            )
    return figures
