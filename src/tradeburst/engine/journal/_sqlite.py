"""The journal in one SQLite file (WAL) per run: the default, on one host.

Every statement runs on one writer thread of the journal's own, never on the event loop,
so a slow disk (an fsync, a frozen filesystem) delays the journal, not the orders. The run
and its intents are committed with a full sync (`synchronous = FULL`) before `start_run`
returns, so before the first byte goes to the broker; after that, outcomes are
group-committed (`GroupCommits`) at `synchronous = NORMAL`: losing the last group in a
crash is harmless, for `resume` asks the broker about every intent the journal does not
show as settled. A file holds one run, and is held exclusively while it is open to write.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from tradeburst.engine._intents import Intent
from tradeburst.engine.journal._records import (
    DispatchRecord,
    JournalError,
    RunRecord,
    RunSnapshot,
)
from tradeburst.engine.journal._rows import (
    DISPATCH_COLUMNS,
    RUN_COLUMNS,
    UPDATED_COLUMNS,
    dispatch_row,
    fill_row,
    new_intent_row,
    run_row,
)
from tradeburst.engine.journal._sqlite_open import (
    Mode,
    OpenedFile,
    open_sqlite,
    wal_path,
)
from tradeburst.engine.journal._sqlite_read import life_signs_ns, read_snapshot
from tradeburst.engine.journal._store import GroupCommits, GroupCommittedStore
from tradeburst.model import Fill

__all__ = ["SqliteJournal", "last_write_ns"]

T = TypeVar("T")

_UPDATE = f"UPDATE intents SET {', '.join(f'{c} = ?' for c in UPDATED_COLUMNS)} WHERE user_def = ?"
_INSERT_FILL_OF_RUN = (
    "INSERT OR IGNORE INTO fills SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8"
    " WHERE EXISTS (SELECT 1 FROM intents WHERE user_def = ?2 AND run_id = ?9)"
)
"""A fill's row (`FILL_COLUMNS`) and a run id: kept if the fill is of one of the run's orders."""
_INSERT_INTENT = (
    "INSERT INTO intents (user_def, run_id, seq, line, tag, order_json, state, strategy)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def last_write_ns(path: Path) -> int:
    """When the journal file or its write-ahead log was last written (wall ns; 0 if
    neither exists). Read before opening the journal, which writes to it."""
    times = []
    for file in (path, wal_path(path)):
        with contextlib.suppress(OSError):
            times.append(file.stat().st_mtime_ns)
    return max(times, default=0)


class SqliteJournal(GroupCommittedStore):
    """A journal file, open for one mode; `await SqliteJournal.open(path, mode)`."""

    def __init__(self, path: Path, opened: OpenedFile, writer: ThreadPoolExecutor,
                 written_ns: int) -> None:  # fmt: skip
        self.path = path
        self.location = str(path)
        self.last_write_ns = written_ns
        """When the file was last written before it was opened (wall ns)."""
        self._opened: OpenedFile | None = opened
        self._writer = writer
        self._commits = GroupCommits(self.location, self._write_group)
        self._begun: tuple[str, int] | None = None
        self._created: Path | None = None
        """The file, when this journal created it and no run has been saved in it yet:
        closed so, it is removed, for a journal without a run would read as one whose
        write-ahead log was lost (and its orders possibly live), when none was sent."""

    @classmethod
    async def open(cls, path: Path, mode: Mode) -> SqliteJournal:
        written_ns = last_write_ns(path)  # before opening it, which writes to it
        created = path if mode == "create" and not _exists(path) else None
        writer = ThreadPoolExecutor(1, thread_name_prefix="tradeburst-journal")
        opening = writer.submit(open_sqlite, path, mode)
        try:
            opened = await asyncio.shield(asyncio.wrap_future(opening))
        except asyncio.CancelledError:
            # The thread goes on opening; close what it opened, after it, on that thread.
            with contextlib.suppress(BaseException):
                await asyncio.wrap_future(writer.submit(_abandon, opening, created))
            writer.shutdown(wait=False)
            raise
        except BaseException:
            writer.shutdown(wait=False)
            raise
        journal = cls(path, opened, writer, written_ns)
        journal._created = created
        return journal

    @property
    def _closed(self) -> bool:
        return self._opened is None

    async def _release(self) -> None:
        opened, self._opened = self._opened, None
        if opened is None:  # closed by another caller while this one flushed
            return
        future = self._writer.submit(_close, opened, self._created)
        self._writer.shutdown(wait=False)
        await asyncio.wrap_future(future)

    # -- on the writer thread -------------------------------------------------------------

    async def _on_writer(
        self, work: Callable[[sqlite3.Connection], T], *, reading: bool = False
    ) -> T:
        """Run `work` on the writer thread; a failure to write is the journal's failure."""
        opened = self._opened
        if opened is None:
            raise JournalError(f"{self.location}: closed")
        try:
            return await asyncio.wrap_future(self._writer.submit(work, opened.db))
        except sqlite3.Error as exc:
            if reading:
                raise JournalError(f"{self.location}: cannot read the journal ({exc})") from None
            failure = JournalError(f"{self.location}: cannot write the journal ({exc})")
            self._commits.fail(failure)
            raise failure from None

    @staticmethod
    @contextlib.contextmanager
    def _transaction(db: sqlite3.Connection, *, full_sync: bool = False) -> Iterator[None]:
        """BEGIN … COMMIT, rolled back if anything in between fails, so the journal stays
        usable; with `full_sync`, the commit is on the disk when it returns."""
        if full_sync:
            db.execute("PRAGMA synchronous = FULL")
        try:
            db.execute("BEGIN")
            try:
                yield
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            if full_sync:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("PRAGMA synchronous = NORMAL")

    # -- writing --------------------------------------------------------------------------

    async def start_run(self, run: RunRecord, intents: Iterable[Intent]) -> None:
        rows = [new_intent_row(run.run_id, i) for i in intents]

        def write(db: sqlite3.Connection) -> None:
            row = db.execute("SELECT run_id FROM runs LIMIT 1").fetchone()
            if row is not None:  # a second run would hide the first from `resume`
                raise JournalError(
                    f"{self.location}: already holds run {row[0]}; finish it with `resume`, "
                    "or journal this run elsewhere"
                )
            with self._transaction(db, full_sync=True):
                db.execute(f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES "
                           f"({', '.join('?' * len(RUN_COLUMNS))})", run_row(run))  # fmt: skip
                db.executemany(_INSERT_INTENT, rows)

        await self._on_writer(write)
        self._created = None  # it holds a run now: it stays, whatever happens next

    async def add_intents(self, run_id: str, intents: Iterable[Intent]) -> None:
        rows = [new_intent_row(run_id, i) for i in intents]

        def write(db: sqlite3.Connection) -> None:
            with self._transaction(db, full_sync=True):
                db.executemany(_INSERT_INTENT, rows)

        await self._on_writer(write)

    async def _write_group(self, rows: list[tuple[Any, ...]], alive_ns: int) -> None:
        def write(db: sqlite3.Connection) -> None:
            with self._transaction(db):
                db.executemany(_UPDATE, rows)
                if alive_ns:
                    db.execute("UPDATE runs SET alive_ns = max(alive_ns, ?)", (alive_ns,))

        await self._on_writer(write)

    async def begin_dispatch(self, dispatch: DispatchRecord) -> None:
        await self.flush()
        await self.record_dispatch(dispatch)

        def unfinish(db: sqlite3.Connection) -> None:
            # Not finished until this dispatch says so: a crash in it leaves it short.
            db.execute("UPDATE runs SET finished_ns = NULL WHERE run_id = ?", (dispatch.run_id,))

        await self._on_writer(unfinish)
        self._begun = (dispatch.run_id, dispatch.started_ns)

    async def record_dispatch(self, dispatch: DispatchRecord) -> None:
        begun, self._begun = self._begun, None
        row = dispatch_row(dispatch)

        def write(db: sqlite3.Connection) -> None:
            with self._transaction(db):
                if begun is not None:
                    db.execute("DELETE FROM dispatches WHERE run_id = ? AND started_ns = ?", begun)
                db.execute(f"INSERT INTO dispatches ({', '.join(DISPATCH_COLUMNS)}) VALUES "
                           f"({', '.join('?' * len(DISPATCH_COLUMNS))})", row)  # fmt: skip

        await self._on_writer(write)

    async def record_fills(self, run_id: str, fills: Iterable[Fill]) -> int:
        # The day's fills can be as many as the run's orders: each row is made as SQLite
        # takes it, and the run's own are told apart there, not in a set of every user_def.
        kept = list(fills)  # frozen `Fill`s, read by the writer's thread

        def write(db: sqlite3.Connection) -> int:
            before = db.total_changes
            with self._transaction(db):
                db.executemany(_INSERT_FILL_OF_RUN, ((*fill_row(f), run_id) for f in kept))
            return db.total_changes - before

        return await self._on_writer(write)

    async def finish_run(self, run_id: str, wall_ns: int) -> None:
        await self.flush()
        await self._on_writer(lambda db: db.execute(
            "UPDATE runs SET finished_ns = ? WHERE run_id = ?", (wall_ns, run_id)
        ))  # fmt: skip

    # -- reading --------------------------------------------------------------------------

    async def snapshot(self, run_id: str | None = None) -> RunSnapshot:
        opened = self._opened
        missing = opened is not None and opened.wal_was_missing
        return await self._on_writer(
            lambda db: read_snapshot(db, self.path, run_id, wal_was_missing=missing),
            reading=True,
        )

    async def last_sign_of_life_ns(self, run_id: str, now_ns: int) -> int:
        return await self._on_writer(
            lambda db: life_signs_ns(db, self.location, run_id, now_ns), reading=True
        )


def _exists(path: Path) -> bool:
    return path.exists()


def _close(opened: OpenedFile, created: Path | None) -> None:
    """Close the file; remove it (and its companions) when it was created for a run that
    was never saved in it: nothing of that run was sent."""
    opened.close()
    if created is not None:
        for file in (created, wal_path(created), created.with_name(created.name + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()


def _abandon(opening: Future[OpenedFile], created: Path | None) -> None:
    """After an open whose caller went away: close what it opened, if it did."""
    if opening.exception() is None:
        _close(opening.result(), created)
