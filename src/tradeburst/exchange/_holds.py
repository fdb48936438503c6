"""Waits the faults impose (a late request held before it is carried out, an answer
stalled or lost after), all ended at once when the exchange stops, so that a clean stop
is prompt whatever is held. A hold cut short by the stop says so, and its caller drops the
connection: what was held before the market acted never happened, what was held after
it is already stored."""

from __future__ import annotations

import asyncio

__all__ = ["Holds"]


class Holds:
    def __init__(self) -> None:
        self._stopping = asyncio.Event()
        self.held = 0
        """How many requests are in a hold now."""

    async def hold(self, delay_s: float) -> bool:
        """Wait `delay_s`; False if the exchange began to stop first."""
        if self._stopping.is_set():
            return False
        self.held += 1
        try:
            async with asyncio.timeout(delay_s):
                await self._stopping.wait()
        except TimeoutError:
            return True
        finally:
            self.held -= 1
        return False

    def release(self) -> None:
        """End every hold now and any hold to come (the exchange is stopping)."""
        self._stopping.set()
