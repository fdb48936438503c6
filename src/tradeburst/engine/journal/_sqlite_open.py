"""Opening a SQLite journal file, with every refusal named: no such file, an empty file,
some other program's database, a read-only file or folder (for a run that must write), a
journal held by another process, and a journal whose write-ahead log was left behind
(copied without its `-wal` file after a crash: its runs are in that file).

A journal that writes holds the file exclusively (`locking_mode = EXCLUSIVE`), so two
processes can never work one run, and needs no `-shm` file. `report` reads with a
read-only connection; a journal in a folder it cannot write is read from a copy in a
temporary folder, so a read-only journal can always be reported.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from tradeburst.engine.journal._records import JournalError

__all__ = ["Mode", "OpenedFile", "missing_wal_text", "open_sqlite", "wal_path"]

Mode = Literal["create", "work", "read"]
"""create: a new run (the file may not exist yet); work: finish the run it holds
(`resume`); read: look only (`report`)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, created_ns INTEGER NOT NULL, command TEXT NOT NULL,
    account TEXT NOT NULL, broker TEXT NOT NULL, url TEXT NOT NULL, profile TEXT NOT NULL,
    source TEXT NOT NULL, options TEXT NOT NULL, finished_ns INTEGER,
    alive_ns INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS intents (
    user_def TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(run_id),
    seq INTEGER NOT NULL, line INTEGER NOT NULL, tag TEXT NOT NULL, order_json BLOB NOT NULL,
    state TEXT NOT NULL, order_no TEXT, status INTEGER, message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, resent INTEGER NOT NULL DEFAULT 0,
    sent_ns INTEGER NOT NULL DEFAULT 0, answered_ns INTEGER NOT NULL DEFAULT 0,
    last_time TEXT, strategy TEXT NOT NULL DEFAULT '', queued_ns INTEGER NOT NULL DEFAULT 0,
    throttle_wait_ns INTEGER NOT NULL DEFAULT 0, by_query INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dispatches (
    run_id TEXT NOT NULL REFERENCES runs(run_id), command TEXT NOT NULL,
    started_ns INTEGER NOT NULL, target_ns INTEGER, offset_ns INTEGER NOT NULL,
    rtt_ns INTEGER NOT NULL, offset_error_ns INTEGER NOT NULL, opening_sends TEXT NOT NULL,
    opening_received TEXT NOT NULL, sends TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS fills (
    filled_no TEXT PRIMARY KEY, user_def TEXT NOT NULL, order_no TEXT NOT NULL,
    symbol TEXT NOT NULL, side TEXT NOT NULL, quantity INTEGER NOT NULL,
    price_twd TEXT NOT NULL, time_ns INTEGER NOT NULL
);
"""

_ADDED_COLUMNS = {
    "intents": {
        "strategy": "TEXT NOT NULL DEFAULT ''",
        "queued_ns": "INTEGER NOT NULL DEFAULT 0",
        "throttle_wait_ns": "INTEGER NOT NULL DEFAULT 0",
        "by_query": "INTEGER NOT NULL DEFAULT 0",
    },
    "runs": {"alive_ns": "INTEGER NOT NULL DEFAULT 0"},
}
"""Columns newer than the first journals, added to an older file when it is opened."""

_WAL_HEADER = b"\x02\x02"
"""Bytes 18 and 19 of an SQLite file in WAL mode (its read and write versions)."""


@dataclass(slots=True, kw_only=True)
class OpenedFile:
    db: sqlite3.Connection
    wal_was_missing: bool
    """The file is in WAL mode and had no `-wal` file when opened: if it shows no run, the
    run is in a `-wal` file left behind."""
    copy_folder: Path | None = None
    """The temporary folder of the copy read in place of a journal we cannot write to."""

    def close(self) -> None:
        self.db.close()
        if self.copy_folder is not None:
            shutil.rmtree(self.copy_folder, ignore_errors=True)
            self.copy_folder = None


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def missing_wal_text(path: Path) -> str:
    return (
        f"{path}: holds no run, and its write-ahead log {wal_path(path).name} is missing: "
        "a journal copied without it after a crash loses what it held. The run's orders "
        "may be live at the broker, and firing them again would place them twice: copy "
        f"{wal_path(path).name} next to it, then `tradeburst resume`"
    )


def open_sqlite(path: Path, mode: Mode) -> OpenedFile:
    """The journal at `path`, open for `mode` (raises `JournalError` naming the path)."""
    if path.is_dir():
        raise JournalError(f"{path}: is a folder, not a journal file")
    if mode == "create":
        _make_folder(path)
    elif not path.is_file():
        raise JournalError(f"{path}: no such journal")
    elif path.stat().st_size == 0:
        # SQLite would take an empty file for a new database and write the schema in.
        raise JournalError(f"{path}: not a tradeburst journal (an empty file)")
    wal_was_missing = _in_wal_mode(path) and _size(wal_path(path)) == 0
    if mode == "read":
        return _open_to_read(path, wal_was_missing)
    _refuse_read_only(path)
    db = _connect(path, f"file:{_quoted(path)}?mode=rwc")
    try:
        db.execute("PRAGMA locking_mode = EXCLUSIVE")
        tables = _tables(db)
        if not tables and (wal_was_missing or mode == "work"):  # write nothing into it
            raise JournalError(
                missing_wal_text(path) if wal_was_missing else f"{path}: holds no run"
            )
        _refuse_another_database(tables, path)  # before anything is written into it
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("BEGIN EXCLUSIVE")  # takes the lock now, and keeps it
        db.executescript(_SCHEMA)  # commits, still holding the lock
        _add_missing_columns(db)
    except sqlite3.Error as exc:
        db.close()
        raise JournalError(_open_failure(path, exc)) from None
    except JournalError:
        db.close()
        raise
    return OpenedFile(db=db, wal_was_missing=wal_was_missing)


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JournalError(f"{path}: cannot create its folder ({exc.strerror})") from None


def _refuse_read_only(path: Path) -> None:
    """A run that cannot write its journal must not start: nothing would be kept."""
    if path.exists() and not os.access(path, os.W_OK):
        raise JournalError(f"{path}: read-only, and a run must write its journal")
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise JournalError(
            f"{path}: its folder {folder} is read-only, and a run must write its journal "
            "(and its -wal file) there"
        )


def _size(path: Path) -> int:
    """Its size; 0 if it does not exist (a reader may leave an empty `-wal` file)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _in_wal_mode(path: Path) -> bool:
    with contextlib.suppress(OSError), path.open("rb") as file:
        return file.read(20)[18:20] == _WAL_HEADER
    return False


def _quoted(path: Path) -> str:
    return quote(str(path.absolute()))


def _connect(path: Path, uri: str) -> sqlite3.Connection:
    try:
        # timeout=0: a journal another process holds is refused at once, not in 5 s.
        return sqlite3.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False, timeout=0
        )
    except sqlite3.Error as exc:
        raise JournalError(f"{path}: cannot open ({exc})") from None


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _refuse_another_database(tables: set[str], path: Path) -> None:
    """An SQLite database with tables but no `runs` is some other program's: opening it as
    a journal must not switch it to WAL nor add the journal's tables to it."""
    if tables and "runs" not in tables:
        raise JournalError(f"{path}: not a tradeburst journal (it has no runs table)")


def _add_missing_columns(db: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _open_failure(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text:
        return f"{path}: in use by another tradeburst process"
    if "readonly" in text or "read-only" in text:
        return f"{path}: read-only, and a run must write its journal"
    if "disk is full" in text:
        return f"{path}: cannot write, the disk is full"
    return f"{path}: not a tradeburst journal ({text})"


def _open_to_read(path: Path, wal_was_missing: bool) -> OpenedFile:
    """A read-only connection, or where that cannot be had (a read-only folder, where
    SQLite cannot make the files it needs beside a journal), one to a copy."""
    # With nothing in a write-ahead log, the file is whole and no writer holds it: read it
    # as immutable, which makes no file beside it and takes no lock.
    quiet = "&immutable=1" if _size(wal_path(path)) == 0 else ""
    db = _connect(path, f"file:{_quoted(path)}?mode=ro{quiet}")
    try:
        tables = _tables(db)
    except sqlite3.Error as exc:
        db.close()
        if "locked" in str(exc):
            raise JournalError(f"{path}: in use by another tradeburst process") from None
        return _open_copy(path, wal_was_missing)
    try:
        _refuse_another_database(tables, path)
    except JournalError:
        db.close()
        raise
    return OpenedFile(db=db, wal_was_missing=wal_was_missing)


def _open_copy(path: Path, wal_was_missing: bool) -> OpenedFile:
    folder = Path(tempfile.mkdtemp(prefix="tradeburst-journal-"))
    copy = folder / path.name
    try:
        shutil.copyfile(path, copy)
        if wal_path(path).exists():
            shutil.copyfile(wal_path(path), wal_path(copy))
        db = _connect(path, f"file:{_quoted(copy)}?mode=ro")
        try:
            _refuse_another_database(_tables(db), path)
        except (sqlite3.Error, JournalError) as exc:
            db.close()
            if isinstance(exc, JournalError):
                raise
            raise JournalError(_open_failure(path, exc)) from None
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise JournalError(f"{path}: cannot read ({exc.strerror})") from None
    except JournalError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return OpenedFile(db=db, wal_was_missing=wal_was_missing, copy_folder=folder)
