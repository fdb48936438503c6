"""What the engine needs of a journal, whatever keeps it (`JournalStore`), and the group
commit every store shares (`GroupCommits`).

A store records a run and its intents durably before the first byte is sent (the calls
that await), and then takes each change to an intent, and the heartbeat, without waiting:
`GroupCommits` gathers them for `GROUP_COMMIT_S` and hands them to the store's writer as
one transaction, off the sending path. A write that fails, or has not ended by
`WRITE_DEADLINE_S`, is the end of the journal's promise: the store keeps the failure
(`failure`), tells whoever listens (the dispatchers, which stop sending), and takes no more
changes. `GroupCommittedStore` is the part of a store that only passes through to its
`GroupCommits`, and its close: commit, then let go.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, Self

from tradeburst.engine._intents import Intent
from tradeburst.engine.journal._records import (
    GROUP_COMMIT_S,
    WRITE_DEADLINE_S,
    DispatchRecord,
    JournalError,
    RunRecord,
    RunSnapshot,
)
from tradeburst.engine.journal._rows import update_row
from tradeburst.model import Fill

__all__ = ["GroupCommits", "GroupCommittedStore", "JournalStore"]

FailureListener = Callable[[JournalError], None]
GroupWriter = Callable[[list[tuple[Any, ...]], int], Awaitable[None]]
"""Writes one group: the intents' update rows and the latest heartbeat (0: none)."""


class JournalStore(Protocol):
    """A run's journal, as the engine uses it (`SqliteJournal`, `PostgresJournal`)."""

    location: str
    """Where it is, as shown to the user: a path, or a URL without its password."""

    @property
    def failure(self) -> JournalError | None:
        """Why a write failed, once one did: nothing is written after it."""

    last_write_ns: int
    """When a file journal was last written before it was opened (wall ns; 0 for a
    database, whose heartbeat stands for it): a dead run's last sign of life."""

    async def start_run(self, run: RunRecord, intents: Iterable[Intent]) -> None:
        """Record a new run and its intents durably, before anything is sent."""

    async def add_intents(self, run_id: str, intents: Iterable[Intent]) -> None:
        """Record more intents of a started run durably, before any is sent."""

    def record(self, intent: Intent) -> None:
        """Note a change to `intent`, for the next group commit."""

    def note_alive(self, wall_ns: int) -> None:
        """Note that the run is alive and may be sending, for the next group commit."""

    async def flush(self) -> None:
        """Wait until everything noted so far is committed."""

    def on_failure(self, listener: FailureListener) -> Callable[[], None]:
        """Call `listener` when a write fails; returns what stops listening."""

    async def begin_dispatch(self, dispatch: DispatchRecord) -> None:
        """Keep a dispatch's clock estimate before it sends; the run is unfinished."""

    async def record_dispatch(self, dispatch: DispatchRecord) -> None:
        """Put a dispatch's whole record in place of what `begin_dispatch` kept."""

    async def record_fills(self, run_id: str, fills: Iterable[Fill]) -> int:
        """Keep the fills of the run's orders, each once; how many are new."""

    async def finish_run(self, run_id: str, wall_ns: int) -> None:
        """The run's last dispatch ended cleanly: every send and answer is written."""

    async def snapshot(self, run_id: str | None = None) -> RunSnapshot:
        """The run (`run_id`, or the journal's only or latest one) as the journal holds it."""

    async def last_sign_of_life_ns(self, run_id: str, now_ns: int) -> int:
        """The latest wall ns the journal shows the run doing anything."""

    async def aclose(self) -> None:
        """Commit what is noted, let go of the run, close; idempotent."""


class GroupCommits:
    """The changes noted since the last commit, written as one group by `writer` at most
    `GROUP_COMMIT_S` after the first, one group at a time."""

    def __init__(
        self, location: str, writer: GroupWriter, *, deadline_s: float = WRITE_DEADLINE_S
    ) -> None:
        self._location = location
        self._writer = writer
        self._deadline_s = deadline_s
        self._dirty: dict[str, Intent] = {}
        self._alive_ns = 0
        self._timer: asyncio.TimerHandle | None = None
        self._writing: asyncio.Task[None] | None = None
        self._listeners: list[FailureListener] = []
        self.failure: JournalError | None = None

    def record(self, intent: Intent) -> None:
        if self.failure is None:
            self._dirty[intent.user_def] = intent
            self._schedule()

    def note_alive(self, wall_ns: int) -> None:
        if self.failure is None:
            self._alive_ns = max(self._alive_ns, wall_ns)
            self._schedule()

    def on_failure(self, listener: FailureListener) -> Callable[[], None]:
        self._listeners.append(listener)
        if self.failure is not None:
            listener(self.failure)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def fail(self, failure: JournalError) -> None:
        """A write failed: keep why, drop what waits, tell the listeners (once)."""
        if self.failure is not None:
            return
        self.failure = failure
        self._dirty.clear()
        self._alive_ns = 0
        for listener in list(self._listeners):
            listener(failure)

    def _schedule(self) -> None:
        if self._timer is None and self._writing is None:
            self._timer = asyncio.get_running_loop().call_later(GROUP_COMMIT_S, self._start)

    def _start(self) -> None:
        self._timer = None
        if self._writing is None:
            self._writing = asyncio.get_running_loop().create_task(self._write_one())

    async def _write_one(self) -> None:
        """Write the group gathered so far; what comes during the write is the next group,
        written `GROUP_COMMIT_S` later, so a busy run still commits in groups."""
        try:
            if (self._dirty or self._alive_ns) and self.failure is None:
                rows = [update_row(intent) for intent in self._dirty.values()]
                alive_ns, self._dirty, self._alive_ns = self._alive_ns, {}, 0
                try:
                    async with asyncio.timeout(self._deadline_s):
                        await self._writer(rows, alive_ns)
                except JournalError as exc:
                    self.fail(exc)
                except TimeoutError:
                    self.fail(JournalError(f"{self._location}: a write has not ended after "
                                           f"{self._deadline_s:g} s; the disk or the "
                                           "database hangs"))  # fmt: skip
        finally:
            self._writing = None
            if (self._dirty or self._alive_ns) and self.failure is None:
                self._schedule()

    async def flush(self) -> None:
        """Write what is noted now, and wait for it; raise the failure if there is one."""
        while (self._dirty or self._alive_ns or self._writing) and self.failure is None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._writing is None:
                self._start()
            writing = self._writing
            if writing is not None:
                await asyncio.shield(writing)
        if self.failure is not None:
            raise self.failure

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class GroupCommittedStore(ABC):
    """What a store does through its `GroupCommits` (`_commits`, made by the store), and
    its lifecycle: `aclose` commits what is noted, then `_release`s what the store holds."""

    _commits: GroupCommits

    @property
    def failure(self) -> JournalError | None:
        return self._commits.failure

    def record(self, intent: Intent) -> None:
        self._commits.record(intent)

    def note_alive(self, wall_ns: int) -> None:
        self._commits.note_alive(wall_ns)

    async def flush(self) -> None:
        await self._commits.flush()

    def on_failure(self, listener: FailureListener) -> Callable[[], None]:
        return self._commits.on_failure(listener)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        with contextlib.suppress(JournalError):
            await self._commits.flush()
        self._commits.close()
        await self._release()

    @property
    @abstractmethod
    def _closed(self) -> bool:
        """Whether the store has let go of what it holds (`aclose` then does nothing)."""

    @abstractmethod
    async def _release(self) -> None:
        """Let go of what the store holds, once, even if two callers close it at once."""
