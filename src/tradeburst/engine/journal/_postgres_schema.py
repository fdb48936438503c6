"""The PostgreSQL journal's tables, in a schema of their own (`tradeburst`) so they sit
beside other programs' tables in a shared database. One database holds many runs: every
table carries the run id. The columns are the SQLite journal's, so both read through the
same row conversions (`_rows`)."""

from __future__ import annotations

from tradeburst.engine.journal._rows import (
    DISPATCH_COLUMNS,
    FILL_COLUMNS,
    INTENT_COLUMNS,
    RUN_COLUMNS,
    UPDATED_COLUMNS,
)

__all__ = [
    "INSERT_DISPATCH",
    "INSERT_FILL",
    "INSERT_INTENT",
    "LIFE_SIGNS",
    "LOCK_KEY",
    "SCHEMA",
    "SCHEMA_LOCK",
    "SELECT_DISPATCHES",
    "SELECT_FILLS",
    "SELECT_INTENTS",
    "SELECT_RUN",
    "UPDATE_INTENT",
]

SCHEMA_LOCK = 0x7472_6164  # "trad": two processes creating the tables at once must queue
LOCK_KEY = "hashtextextended('tradeburst run ' || $1, 0)"
"""The advisory lock key of a run (a bigint from its id)."""

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS tradeburst;
CREATE TABLE IF NOT EXISTS tradeburst.runs (
    run_id TEXT PRIMARY KEY, created_ns BIGINT NOT NULL, command TEXT NOT NULL,
    account TEXT NOT NULL, broker TEXT NOT NULL, url TEXT NOT NULL, profile TEXT NOT NULL,
    source TEXT NOT NULL, options TEXT NOT NULL, finished_ns BIGINT,
    alive_ns BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tradeburst.intents (
    user_def TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES tradeburst.runs(run_id),
    seq INTEGER NOT NULL, line INTEGER NOT NULL, tag TEXT NOT NULL, order_json TEXT NOT NULL,
    state TEXT NOT NULL, order_no TEXT, status INTEGER, message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, resent INTEGER NOT NULL DEFAULT 0,
    sent_ns BIGINT NOT NULL DEFAULT 0, answered_ns BIGINT NOT NULL DEFAULT 0,
    last_time TEXT, strategy TEXT NOT NULL DEFAULT '', queued_ns BIGINT NOT NULL DEFAULT 0,
    throttle_wait_ns BIGINT NOT NULL DEFAULT 0, by_query INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS intents_by_run ON tradeburst.intents (run_id, seq);
CREATE TABLE IF NOT EXISTS tradeburst.dispatches (
    run_id TEXT NOT NULL REFERENCES tradeburst.runs(run_id), command TEXT NOT NULL,
    started_ns BIGINT NOT NULL, target_ns BIGINT, offset_ns BIGINT NOT NULL,
    rtt_ns BIGINT NOT NULL, offset_error_ns BIGINT NOT NULL, opening_sends TEXT NOT NULL,
    opening_received TEXT NOT NULL, sends TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS tradeburst.fills (
    run_id TEXT NOT NULL REFERENCES tradeburst.runs(run_id), filled_no TEXT NOT NULL,
    user_def TEXT NOT NULL, order_no TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL,
    quantity INTEGER NOT NULL, price_twd TEXT NOT NULL, time_ns BIGINT NOT NULL,
    PRIMARY KEY (run_id, filled_no)
);
"""


def _places(count: int, first: int = 1) -> str:
    return ", ".join(f"${n}" for n in range(first, first + count))


INSERT_INTENT = (
    "INSERT INTO tradeburst.intents (user_def, run_id, seq, line, tag, order_json, state,"
    f" strategy) VALUES ({_places(8)}) ON CONFLICT (user_def) DO NOTHING"
)
"""Client order ids are written once: inserting one that is already there writes nothing
(a run's id is checked against the journal before its intents go in, so two runs never
share one)."""
_SETS = ", ".join(f"{column} = ${n}" for n, column in enumerate(UPDATED_COLUMNS, 1))
UPDATE_INTENT = (
    f"UPDATE tradeburst.intents SET {_SETS} WHERE user_def = ${len(UPDATED_COLUMNS) + 1}"
)
INSERT_DISPATCH = (
    f"INSERT INTO tradeburst.dispatches ({', '.join(DISPATCH_COLUMNS)})"
    f" VALUES ({_places(len(DISPATCH_COLUMNS))})"
)
INSERT_FILL = (
    f"INSERT INTO tradeburst.fills (run_id, {', '.join(FILL_COLUMNS)})"
    f" SELECT $1, {_places(len(FILL_COLUMNS), 2)}"
    " WHERE EXISTS (SELECT 1 FROM tradeburst.intents WHERE run_id = $1 AND user_def = $3)"
    " ON CONFLICT DO NOTHING"
)
SELECT_RUN = f"SELECT {', '.join(RUN_COLUMNS)} FROM tradeburst.runs WHERE run_id = $1"
SELECT_INTENTS = (
    f"SELECT {', '.join(INTENT_COLUMNS)} FROM tradeburst.intents WHERE run_id = $1 ORDER BY seq"
)
SELECT_DISPATCHES = (
    f"SELECT {', '.join(DISPATCH_COLUMNS)} FROM tradeburst.dispatches WHERE run_id = $1"
    " ORDER BY started_ns"
)
SELECT_FILLS = (
    f"SELECT {', '.join(FILL_COLUMNS)} FROM tradeburst.fills WHERE run_id = $1"
    " ORDER BY time_ns, filled_no"
)
LIFE_SIGNS = """
SELECT GREATEST(
    (SELECT GREATEST(created_ns, alive_ns, coalesce(finished_ns, 0))
       FROM tradeburst.runs WHERE run_id = $1),
    (SELECT GREATEST(max(sent_ns), max(answered_ns), max(queued_ns))
       FROM tradeburst.intents WHERE run_id = $1),
    (SELECT GREATEST(max(started_ns), max(CASE WHEN target_ns <= $2 THEN target_ns ELSE 0 END))
       FROM tradeburst.dispatches WHERE run_id = $1)
)
"""
