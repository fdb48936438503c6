"""A plain client of the rehearsal exchange: one keep-alive aiohttp session, batches of up
to 30 orders, paced so that no more than the profile's batch calls fall in any one-second
window. It is what a careful user writes by hand; the burst engine replaces it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from tradeburst.exchange._api import MAX_BATCH_ORDERS

__all__ = ["BatchAnswer", "PlainClient"]


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    """One batch call: when it was due, sent and answered (monotonic ns), and its results."""

    planned_ns: int
    sent_ns: int
    received_ns: int
    status: int
    results: list[dict[str, Any]]


class PlainClient:
    def __init__(self, url: str, api_key: str) -> None:
        self._url = url
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=10, keepalive_timeout=60)
        )

    async def __aenter__(self) -> PlainClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.close()

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        async with self._session.get(
            self._url + path, headers=headers or self._headers
        ) as response:
            return await response.json()

    async def send_batches(
        self, orders: list[dict[str, Any]], batches_per_s: int
    ) -> list[BatchAnswer]:
        """Send `orders` in batches of 30, never more than `batches_per_s` in one second."""
        chunks = [orders[i : i + MAX_BATCH_ORDERS] for i in range(0, len(orders), MAX_BATCH_ORDERS)]
        flights: list[_Flight] = []
        for index, chunk in enumerate(chunks):
            planned_ns = time.monotonic_ns()
            if index >= batches_per_s:
                # The exchange counts receipts and an answer comes after its receipt, so a
                # second after an earlier answer is surely outside that batch's window.
                earlier = flights[index - batches_per_s]
                await earlier.wait_answered()
                planned_ns = earlier.answered_ns + 1_000_000_000
                await asyncio.sleep(max(0.0, (planned_ns - time.monotonic_ns()) / 1e9))
            flights.append(_Flight(self._post_batch(chunk, planned_ns)))
        return [await flight.result() for flight in flights]

    async def _post_batch(self, chunk: list[dict[str, Any]], planned_ns: int) -> BatchAnswer:
        sent_ns = time.monotonic_ns()
        async with self._session.post(
            self._url + "/v1/orders/batch", json={"orders": chunk}, headers=self._headers
        ) as response:
            body = await response.json()
            received_ns = time.monotonic_ns()
            results = body["data"] if response.status == 200 else []
            return BatchAnswer(planned_ns, sent_ns, received_ns, response.status, results)


class _Flight:
    """A batch in flight, with the time its answer arrived."""

    def __init__(self, work: Any) -> None:
        self.answered_ns = 0
        self._done = asyncio.Event()
        self._task = asyncio.create_task(self._run(work))

    async def _run(self, work: Any) -> BatchAnswer:
        try:
            answer: BatchAnswer = await work
            return answer
        finally:
            self.answered_ns = time.monotonic_ns()
            self._done.set()

    async def wait_answered(self) -> None:
        await self._done.wait()

    async def result(self) -> BatchAnswer:
        return await self._task
