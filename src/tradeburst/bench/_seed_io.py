"""The I/O-bound workload of `bench seed-table`, one function per approach: send `count`
orders to the rehearsal exchange and return each order's own round trip in ms, timed
where the order is carried out (from its send to its answer, queueing excluded). Every
order carries `user_def` = the approach's two-letter prefix and its number, so the
exchange's admin API can count exactly what each approach sent."""

from __future__ import annotations

import asyncio
import http.client
import multiprocessing.pool
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import aiohttp
import msgspec

__all__ = ["IO_APPROACHES", "order_body"]

SESSIONS = 5
"""The common "multiple sessions" approach splits the work over 5 sessions."""


def order_body(prefix: str, number: int) -> bytes:
    return msgspec.json.encode(
        {
            "symbol": "2891",
            "buy_sell": "Buy",
            "quantity": 1000,
            "price": "40.00",
            "user_def": f"{prefix}{number:08d}",
        }
    )


class BlockingClient:
    """One keep-alive `http.client` connection, as a blocking SDK holds one."""

    def __init__(self, url: str, key: str) -> None:
        parts = urlsplit(url)
        self._connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        self._headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def place(self, body: bytes) -> float:
        started = time.perf_counter()
        self._connection.request("POST", "/v1/orders", body=body, headers=self._headers)
        answer = self._connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"order refused: HTTP {answer.status}")
        return (time.perf_counter() - started) * 1000


def sequential(url: str, key: str, prefix: str, count: int, workers: int) -> list[float]:
    client = BlockingClient(url, key)
    return [client.place(order_body(prefix, n)) for n in range(count)]


def _per_thread(url: str, key: str) -> Callable[[bytes], float]:
    local = threading.local()

    def place(body: bytes) -> float:
        if not hasattr(local, "client"):
            local.client = BlockingClient(url, key)
        latency: float = local.client.place(body)
        return latency

    return place


def threads(url: str, key: str, prefix: str, count: int, workers: int) -> list[float]:
    place = _per_thread(url, key)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(place, (order_body(prefix, n) for n in range(count))))


def run_in_executor(url: str, key: str, prefix: str, count: int, workers: int) -> list[float]:
    async def main() -> list[float]:
        place = _per_thread(url, key)
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(workers) as pool:
            return list(
                await asyncio.gather(
                    *(
                        loop.run_in_executor(pool, place, order_body(prefix, n))
                        for n in range(count)
                    )
                )
            )

    return asyncio.run(main())


async def _post(
    session: aiohttp.ClientSession, gate: asyncio.Semaphore, url: str, body: bytes
) -> float:
    async with gate:
        started = time.perf_counter()
        async with session.post(url + "/v1/orders", data=body) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"order refused: HTTP {response.status}")
        return (time.perf_counter() - started) * 1000


def _session(key: str, limit: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )


def asyncio_pooled(url: str, key: str, prefix: str, count: int, workers: int) -> list[float]:
    async def main() -> list[float]:
        gate = asyncio.Semaphore(workers)
        async with _session(key, workers) as session:
            return list(
                await asyncio.gather(
                    *(_post(session, gate, url, order_body(prefix, n)) for n in range(count))
                )
            )

    return asyncio.run(main())


def asyncio_multi_session(url: str, key: str, prefix: str, count: int, workers: int) -> list[float]:
    async def main() -> list[float]:
        # `workers` in flight in all, as every other approach: shared over the sessions
        # (fewer sessions than 5 when there are fewer workers), the first ones one more.
        many = min(SESSIONS, workers)
        shares = [workers // many + (1 if i < workers % many else 0) for i in range(many)]
        sessions = [_session(key, share) for share in shares]
        gates = [asyncio.Semaphore(share) for share in shares]
        try:
            return list(
                await asyncio.gather(
                    *(
                        _post(sessions[n % many], gates[n % many], url, order_body(prefix, n))
                        for n in range(count)
                    )
                )
            )
        finally:
            for session in sessions:
                await session.close()

    return asyncio.run(main())


_process_client: BlockingClient | None = None


def _open_process_client(url: str, key: str) -> None:
    global _process_client
    _process_client = BlockingClient(url, key)


def _process_place(body: bytes) -> float:
    assert _process_client is not None
    return _process_client.place(body)


def multiprocessing_pool(
    url: str, key: str, prefix: str, count: int, workers: int, pool: multiprocessing.pool.Pool
) -> list[float]:
    return pool.map(_process_place, [order_body(prefix, n) for n in range(count)], chunksize=1)


IO_APPROACHES: dict[str, Callable[[str, str, str, int, int], list[float]]] = {
    "sequential": sequential,
    "threads": threads,
    "asyncio_pooled": asyncio_pooled,
    "asyncio_multi_session": asyncio_multi_session,
    "run_in_executor": run_in_executor,
}
"""Multiprocessing is apart: its pool of processes is started before the clock runs."""
