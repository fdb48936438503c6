"""Reading a run back from a SQLite journal (on its writer thread): the whole run for
`report` and `resume`, and the latest sign of life of a run that may have died."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tradeburst.engine.journal._records import JournalError, RunSnapshot
from tradeburst.engine.journal._rows import (
    DISPATCH_COLUMNS,
    FILL_COLUMNS,
    INTENT_COLUMNS,
    RUN_COLUMNS,
    dispatch_of,
    fill_of,
    intent_of,
    run_record_of,
)
from tradeburst.engine.journal._sqlite_open import missing_wal_text

__all__ = ["life_signs_ns", "read_snapshot"]


def read_snapshot(
    db: sqlite3.Connection, path: Path, run_id: str | None, *, wal_was_missing: bool
) -> RunSnapshot:
    """The file's run (it holds one; `run_id`, if given, must be it)."""
    where = str(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    row = None
    if "runs" in tables:  # none at all: its schema, too, was in a -wal file
        row = db.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs"
                         " ORDER BY created_ns DESC LIMIT 1").fetchone()  # fmt: skip
    if row is None:
        raise JournalError(missing_wal_text(path) if wal_was_missing else f"{where}: holds no run")
    run = run_record_of(where, row)
    if run_id is not None and run_id != run.run_id:
        raise JournalError(f"{where}: holds run {run.run_id}, not {run_id}")
    key = (run.run_id,)
    intents = db.execute(f"SELECT {', '.join(INTENT_COLUMNS)} FROM intents"
                         " WHERE run_id = ? ORDER BY seq", key)  # fmt: skip
    dispatches = db.execute(f"SELECT {', '.join(DISPATCH_COLUMNS)} FROM dispatches"
                            " WHERE run_id = ? ORDER BY started_ns", key)  # fmt: skip
    fills = db.execute(f"SELECT {', '.join(FILL_COLUMNS)} FROM fills"
                       " ORDER BY time_ns, filled_no")  # fmt: skip
    return RunSnapshot(
        run=run,
        intents=[intent_of(where, r) for r in intents],
        dispatches=[dispatch_of(where, r) for r in dispatches],
        fills=[fill_of(where, r) for r in fills],
    )


def life_signs_ns(db: sqlite3.Connection, where: str, run_id: str, now_ns: int) -> int:
    """The latest wall ns the journal shows the run doing anything: a send, an answer, a
    dispatch, its heartbeat, or a rush's target that has come (it sends then, and a crash
    may lose the record of it); a target still to come does not count, for a dead run
    sends nothing at it."""
    found = [
        db.execute("SELECT max(created_ns, alive_ns, coalesce(finished_ns, 0))"
                   " FROM runs WHERE run_id = ?", (run_id,)).fetchone(),
        db.execute("SELECT max(max(sent_ns), max(answered_ns), max(queued_ns))"
                   " FROM intents WHERE run_id = ?", (run_id,)).fetchone(),
        db.execute("SELECT max(max(started_ns), max(CASE WHEN target_ns <= ?"
                   " THEN target_ns ELSE 0 END)) FROM dispatches WHERE run_id = ?",
                   (now_ns, run_id)).fetchone(),
    ]  # fmt: skip
    values = [r[0] for r in found if r is not None and r[0] is not None]
    if not all(isinstance(v, int) for v in values):
        raise JournalError(f"{where}: damaged journal, in its stamps")
    return max(values, default=0)
