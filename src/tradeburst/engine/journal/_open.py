"""Opening a journal by where it lives: a file opens the SQLite store, a PostgreSQL URL
the shared one. What the engine gets is a `JournalStore` either way."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from tradeburst.engine.journal._location import JournalLocation, journal_location
from tradeburst.engine.journal._records import JournalError, RunSnapshot
from tradeburst.engine.journal._sqlite import SqliteJournal
from tradeburst.engine.journal._sqlite_open import Mode
from tradeburst.engine.journal._store import JournalStore

__all__ = ["open_journal", "read_run"]


@contextlib.asynccontextmanager
async def open_journal(
    where: JournalLocation | str | os.PathLike[str], mode: Mode, run_id: str | None = None
) -> AsyncIterator[JournalStore]:
    """The journal at `where`, open for `mode` (create: a new run; work: finish run
    `run_id`, held by this process alone; read: look only), closed on the way out."""
    location = where if isinstance(where, JournalLocation) else journal_location(_text(where))
    journal: JournalStore
    if location.path is not None:
        journal = await SqliteJournal.open(location.path, mode)
        if mode != "create" and run_id is not None:
            try:
                await journal.snapshot(run_id)  # a file holds one run: is it that one?
            except JournalError:
                await journal.aclose()
                raise
    else:
        from tradeburst.engine.journal._postgres import PostgresJournal

        journal = await PostgresJournal.open(location, mode, run_id)
    try:
        yield journal
    finally:
        await journal.aclose()


async def read_run(
    where: JournalLocation | str | os.PathLike[str], run_id: str | None = None
) -> RunSnapshot:
    """A run as its journal holds it (the file's one run, or `run_id`), for `report`."""
    async with open_journal(where, "read", run_id) as journal:
        return await journal.snapshot(run_id)


def _text(where: str | os.PathLike[str]) -> str | Path:
    return where if isinstance(where, (str, Path)) else Path(os.fspath(where))
