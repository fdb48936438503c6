"""The CPU-bound workload of `bench seed-table`: an RSI(14) over a price series in integer
cents (a random walk from a fixed seed), counting how often it crosses 30 and 70, in pure
Python. Each task is one symbol's series; each approach returns each task's own time in
ms. The two asyncio approaches run the tasks as coroutines on the one event loop thread
(for computing there is no session to pool, so they differ only in grouping)."""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing.pool
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["CPU_APPROACHES", "rsi_crossings", "timed_task"]

PERIOD = 14


def price_series(seed: int, length: int) -> list[int]:
    """A deterministic random walk in cents around 580.00 TWD, 0.50 TWD ticks."""
    state, price, prices = seed * 2654435761 + 1, 58_000, []
    for _ in range(length):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        price = max(100, price + 50 * ((state >> 33) % 3 - 1))
        prices.append(price)
    return prices


def rsi_crossings(prices: list[int]) -> int:
    """Times RSI(14), in basis points over a sliding window, crosses 30 % or 70 %."""
    gains = losses = crossings = 0
    zone = 0
    moves = [b - a for a, b in itertools.pairwise(prices)]
    for index, move in enumerate(moves):
        gains += max(move, 0)
        losses += max(-move, 0)
        if index >= PERIOD:
            old = moves[index - PERIOD]
            gains -= max(old, 0)
            losses -= max(-old, 0)
            total = gains + losses
            rsi_bp = 5000 if total == 0 else 10_000 * gains // total
            now = 1 if rsi_bp > 7000 else -1 if rsi_bp < 3000 else 0
            crossings += now != zone and now != 0
            zone = now
    return crossings


def warm(_: int) -> None:
    """Keeps a pool process busy briefly, so that every process has started."""
    time.sleep(0.05)


def timed_task(task: tuple[int, int]) -> float:
    seed, length = task
    started = time.perf_counter()
    rsi_crossings(price_series(seed, length))
    return (time.perf_counter() - started) * 1000


def sequential(tasks: list[tuple[int, int]], workers: int) -> list[float]:
    return [timed_task(task) for task in tasks]


def threads(tasks: list[tuple[int, int]], workers: int) -> list[float]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(timed_task, tasks))


def run_in_executor(tasks: list[tuple[int, int]], workers: int) -> list[float]:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(workers) as pool:
            return list(
                await asyncio.gather(*(loop.run_in_executor(pool, timed_task, t) for t in tasks))
            )

    return asyncio.run(main())


def _coroutines(groups: int) -> Callable[[list[tuple[int, int]], int], list[float]]:
    def run(tasks: list[tuple[int, int]], workers: int) -> list[float]:
        async def lane(mine: list[tuple[int, int]]) -> list[float]:
            times = []
            for task in mine:
                times.append(timed_task(task))
                await asyncio.sleep(0)
            return times

        async def main() -> list[float]:
            lanes = await asyncio.gather(*(lane(tasks[g::groups]) for g in range(groups)))
            return [t for times in lanes for t in times]

        return asyncio.run(main())

    return run


def multiprocessing_pool(
    tasks: list[tuple[int, int]], pool: multiprocessing.pool.Pool
) -> list[float]:
    return pool.map(timed_task, tasks, chunksize=1)


CPU_APPROACHES: dict[str, Callable[[list[tuple[int, int]], int], list[float]]] = {
    "sequential": sequential,
    "threads": threads,
    "asyncio_pooled": _coroutines(1),
    "asyncio_multi_session": _coroutines(5),
    "run_in_executor": run_in_executor,
}
