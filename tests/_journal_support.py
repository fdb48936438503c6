"""Reading and writing journals from tests, sync or async alike: the journal's API is async,
and a sync test (or a sync helper called from an async test) runs it in a loop of its own
on a thread of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from tradeburst.engine import JournalStore, RunSnapshot, open_journal, read_run

T = TypeVar("T")

WAIT_S = 60.0


def in_own_loop(work: Callable[[], Awaitable[T]]) -> T:
    """`await work()` in a new event loop on another thread, whether or not one runs here."""

    async def main() -> T:
        return await work()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result(timeout=WAIT_S)


def read_journal(where: Path | str, run_id: str | None = None) -> RunSnapshot:
    """The run as its journal holds it (the writer must have let go of it)."""
    return in_own_loop(lambda: read_run(where, run_id))


def write_journal(path: Path, write: Callable[[JournalStore], Awaitable[None]]) -> None:
    """Create the journal at `path` and `await write(journal)` in it, then close it."""

    async def work() -> None:
        async with open_journal(path, "create") as journal:
            await write(journal)

    in_own_loop(work)
