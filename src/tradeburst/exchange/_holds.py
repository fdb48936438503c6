"""Waits the faults impose (a late request held before it is carried out, an answer
stalled or lost after), all ended at once when the exchange stops, so that a clean stop
is prompt whatever is held. A hold cut short by the stop says so, and its caller drops the
connection: what was held before the market acted never happened, what was held after
it is already stored. A late request lands when its hold ends: the clocks are read by the
hold's timer as it fires, not when the request's handler next gets to run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Holds"]

T = TypeVar("T")


class Holds:
    def __init__(self) -> None:
        self._stopping = False
        self._waiting: set[asyncio.Future[Any]] = set()
        self.held = 0
        """How many requests are in a hold now."""

    async def hold(self, delay_s: float) -> bool:
        """Wait `delay_s`; False if the exchange began to stop first."""
        return await self.hold_until_landed(delay_s, lambda: True) is not None

    async def hold_until_landed(self, delay_s: float, read: Callable[[], T]) -> T | None:
        """Wait `delay_s` and answer what `read` gave as the wait ended; None if the
        exchange began to stop first."""
        if self._stopping:
            return None
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[T | None] = loop.create_future()

        def end() -> None:
            if not ended.done():
                ended.set_result(read())

        timer = loop.call_later(delay_s, end)
        self._waiting.add(ended)
        self.held += 1
        try:
            landed = await ended
        finally:
            timer.cancel()
            self._waiting.discard(ended)
            self.held -= 1
        return landed

    def release(self) -> None:
        """End every hold now and any hold to come (the exchange is stopping)."""
        self._stopping = True
        for ended in self._waiting:
            if not ended.done():
                ended.set_result(None)
