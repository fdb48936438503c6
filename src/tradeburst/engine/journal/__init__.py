"""The journal: the engine's durable record of what it meant to send and what became of
it, so a crash or an abort can be finished by `tradeburst resume` and read by `report`.

`JournalStore` is what the engine needs of one; `open_journal` opens one by where it
lives: a SQLite file per run (the default, on one host), or a PostgreSQL database shared
by the processes and hosts that work one account. Either way the run and its intents are
committed durably before the first byte is sent, outcomes are group-committed off the
sending path, a run is worked by one process at a time, and a write that fails stops the
sending (`JournalStore.failure`).
"""

from tradeburst.engine.journal._location import JournalLocation, journal_location
from tradeburst.engine.journal._open import open_journal, read_run
from tradeburst.engine.journal._records import (
    GROUP_COMMIT_S,
    HEARTBEAT_S,
    UNSEEN_S,
    WRITE_DEADLINE_S,
    DispatchRecord,
    JournalError,
    RunRecord,
    RunSnapshot,
)
from tradeburst.engine.journal._sqlite import SqliteJournal, last_write_ns
from tradeburst.engine.journal._store import JournalStore

__all__ = [
    "GROUP_COMMIT_S",
    "HEARTBEAT_S",
    "UNSEEN_S",
    "WRITE_DEADLINE_S",
    "DispatchRecord",
    "JournalError",
    "JournalLocation",
    "JournalStore",
    "RunRecord",
    "RunSnapshot",
    "SqliteJournal",
    "journal_location",
    "last_write_ns",
    "open_journal",
    "read_run",
]
