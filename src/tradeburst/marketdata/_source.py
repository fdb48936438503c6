"""`EventSource`: the lifecycle both market-data sources share. One background task (the
subclass's `_run`) fills an unbounded queue of events over one `aiohttp` session; the
source is an async context manager and an async iterator, and `aclose()` cancels the
task, closes the session and ends every iteration (a `None` in the queue marks the end).
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator
from typing import Self

import aiohttp

from tradeburst.marketdata._events import MarketEvent

__all__ = ["EventSource"]


class EventSource:
    """Base of `MarketFeed` and `QuotePoller`: subclasses implement `_run`."""

    def __init__(self) -> None:
        self._events: asyncio.Queue[MarketEvent | None] = asyncio.Queue()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        if self._task is None:
            self._session = aiohttp.ClientSession()
            self._task = asyncio.create_task(self._run())

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._events.put_nowait(None)
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def __del__(self) -> None:
        if self._task is not None and not self._task.done():
            warnings.warn(f"{self!r} was not closed", ResourceWarning, stacklevel=1)

    def __aiter__(self) -> AsyncIterator[MarketEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[MarketEvent]:
        while True:
            event = await self._events.get()
            if event is None:
                return
            yield event

    async def next(self) -> MarketEvent | None:
        """The next event; None once the source is closed."""
        return await self._events.get()

    async def _run(self) -> None:
        """The background task: put events in `self._events` until cancelled."""
        raise NotImplementedError
