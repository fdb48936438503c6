"""The journal: one SQLite file (WAL) per run, the engine's record of what it meant to send
and what became of it, so a crash or an abort can be finished by `tradeburst resume`.

While a dispatch runs, the journal notes once a second that the run is alive
(`note_alive`), in the group commits: with the file's last write, it bounds when a dead
run may last have sent anything (`last_sign_of_life_ns`), which `resume` needs to know how
long a request of the dead run may still reach the broker.

It also keeps the fills of the run's orders known when the run ended (`fire` and `resume`
ask the broker once). The run and all its intents, each under its client order id, are
committed with a full
sync before the first byte goes to the broker. After that, outcomes are group-committed:
updates gather for a few milliseconds and one transaction writes them all. Losing the last
group in a crash is harmless: `resume` asks the broker about every intent the journal does
not show as settled. The file is held exclusively, so two processes can never work one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from tradeburst.engine._intents import Intent, IntentState
from tradeburst.errors import TradeburstError
from tradeburst.model import Fill, Order, Side

__all__ = [
    "GROUP_COMMIT_S",
    "HEARTBEAT_S",
    "DispatchRecord",
    "Journal",
    "JournalError",
    "RunRecord",
    "last_write_ns",
]

GROUP_COMMIT_S = 0.02
"""How long outcomes gather before one transaction writes them: a commit per answer would
cost more than the answer."""
HEARTBEAT_S = 1.0
"""How often a dispatching run notes in the journal that it is alive."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created_ns INTEGER NOT NULL,
    command TEXT NOT NULL,
    account TEXT NOT NULL,
    broker TEXT NOT NULL,
    url TEXT NOT NULL,
    profile TEXT NOT NULL,
    source TEXT NOT NULL,
    options TEXT NOT NULL,
    finished_ns INTEGER,
    alive_ns INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS intents (
    user_def TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    seq INTEGER NOT NULL,
    line INTEGER NOT NULL,
    tag TEXT NOT NULL,
    order_json BLOB NOT NULL,
    state TEXT NOT NULL,
    order_no TEXT,
    status INTEGER,
    message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    resent INTEGER NOT NULL DEFAULT 0,
    sent_ns INTEGER NOT NULL DEFAULT 0,
    answered_ns INTEGER NOT NULL DEFAULT 0,
    last_time TEXT,
    strategy TEXT NOT NULL DEFAULT '',
    queued_ns INTEGER NOT NULL DEFAULT 0,
    throttle_wait_ns INTEGER NOT NULL DEFAULT 0,
    by_query INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dispatches (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    command TEXT NOT NULL,
    started_ns INTEGER NOT NULL,
    target_ns INTEGER,
    offset_ns INTEGER NOT NULL,
    rtt_ns INTEGER NOT NULL,
    offset_error_ns INTEGER NOT NULL,
    opening_sends TEXT NOT NULL,
    opening_received TEXT NOT NULL,
    sends TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS fills (
    filled_no TEXT PRIMARY KEY,
    user_def TEXT NOT NULL,
    order_no TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    price_twd TEXT NOT NULL,
    time_ns INTEGER NOT NULL
);
"""

_ADDED_COLUMNS = {
    "strategy": "TEXT NOT NULL DEFAULT ''",
    "queued_ns": "INTEGER NOT NULL DEFAULT 0",
    "throttle_wait_ns": "INTEGER NOT NULL DEFAULT 0",
    "by_query": "INTEGER NOT NULL DEFAULT 0",
}
"""Intent columns newer than the first journals, added to an older file when it is opened."""

_UPDATE = """
UPDATE intents SET state = ?, order_no = ?, status = ?, message = ?, attempts = ?,
    resent = ?, sent_ns = ?, answered_ns = ?, last_time = ?, queued_ns = ?,
    throttle_wait_ns = ?, by_query = ?
WHERE user_def = ?
"""

_encode_order = msgspec.json.Encoder(decimal_format="string").encode
_decode_order = msgspec.json.Decoder(Order).decode


class _StoredOptions(msgspec.Struct):
    """The types of what a run keeps of its options (`fire`'s and `run`'s), checked when
    read back; the dict itself is what the run gets."""

    profile: str | None = None
    max_batch: int | None = None
    concurrency: int | None = None
    headroom_s: float | None = None
    pacing: tuple[int, float] | None = None
    max_request_age_s: float | None = None
    strategies: list[str] | None = None


_INTENT_COLUMNS = (
    "seq", "line", "tag", "order_json", "state", "order_no", "status", "message", "attempts",
    "resent", "sent_ns", "answered_ns", "last_time", "strategy", "queued_ns",
    "throttle_wait_ns", "by_query",
)  # fmt: skip
_INTENT_NUMBERS = frozenset({0, 1, 8, 9, 10, 11, 14, 15, 16})
_INTENT_OPTIONAL_NUMBERS = frozenset({6})
_FILL_COLUMNS = (
    "filled_no", "user_def", "order_no", "symbol", "side", "quantity", "price_twd", "time_ns",
)  # fmt: skip
_FILL_NUMBERS = frozenset({5, 7})
_DISPATCH_COLUMNS = (
    "run_id", "command", "started_ns", "target_ns", "offset_ns", "rtt_ns", "offset_error_ns",
    "opening_sends", "opening_received", "sends",
)  # fmt: skip
_DISPATCH_NUMBERS = frozenset({2, 4, 5, 6})
_DISPATCH_OPTIONAL_NUMBERS = frozenset({3})


def _add_missing_columns(db: sqlite3.Connection) -> None:
    present = {row[1] for row in db.execute("PRAGMA table_info(intents)")}
    for name, kind in _ADDED_COLUMNS.items():
        if name not in present:
            db.execute(f"ALTER TABLE intents ADD COLUMN {name} {kind}")
    if "alive_ns" not in {row[1] for row in db.execute("PRAGMA table_info(runs)")}:
        db.execute("ALTER TABLE runs ADD COLUMN alive_ns INTEGER NOT NULL DEFAULT 0")


def last_write_ns(path: Path) -> int:
    """When the journal file or its write-ahead log was last written (wall ns; 0 if
    neither exists). Read it before opening the journal, which writes to it."""
    times = []
    for file in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            times.append(file.stat().st_mtime_ns)
    return max(times, default=0)


class JournalError(TradeburstError):
    """The journal cannot be used: in use by another process, missing, or not a journal."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    run_id: str
    created_ns: int
    command: str
    account: str
    broker: str
    url: str
    profile: str
    source: str
    options: dict[str, Any]
    finished_ns: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchRecord:
    """One pass of sending (`fire`, `rush`, or a `resume`): when it began, the rush's
    target, the broker clock estimate (broker = local wall + offset), and the wall-clock
    send stamps of the requests that went out at the start, before any had to wait."""

    run_id: str
    command: str
    started_ns: int
    target_ns: int | None
    """Local wall ns of the rush's target; None when the dispatch began at once."""
    offset_ns: int
    rtt_ns: int
    offset_error_ns: int
    opening_sends_ns: list[int]
    sends: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    """(wall ns, orders) of every request of the dispatch, refused ones included."""
    opening_received_ns: list[int] = dataclasses.field(default_factory=list)
    """The exchange's receive stamps (its own clock) of the opening orders, when its admin
    API was at hand; the orders of one request share one."""


def _row(intent: Intent) -> tuple[Any, ...]:
    return (
        intent.state.value,
        intent.order_no,
        intent.status,
        intent.message,
        intent.attempts,
        intent.resent,
        intent.sent_ns,
        intent.answered_ns,
        intent.last_time,
        intent.queued_ns,
        intent.throttle_wait_ns,
        intent.by_query,
        intent.user_def,
    )


def _refuse_another_database(db: sqlite3.Connection, path: Path) -> None:
    """An SQLite database with tables but no `runs` is some other program's: opening it as
    a journal must not switch it to WAL nor add the journal's tables to it. (A database with
    no table at all may be a journal whose `-wal` file is missing, and is let through.)"""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "runs" not in tables:
        db.close()
        raise JournalError(f"{path}: not a tradeburst journal (it has no runs table)")


class Journal:
    def __init__(self, path: Path, *, create: bool) -> None:
        self.path = path
        if not create and not path.is_file():
            raise JournalError(f"{path}: no such journal")
        if not create and path.stat().st_size == 0:
            # SQLite would take an empty file for a new database and write the schema in.
            raise JournalError(f"{path}: not a tradeburst journal (an empty file)")
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise JournalError(f"{path}: cannot create its folder ({exc.strerror})") from None
        try:
            # timeout=0: a journal another process holds is refused at once, not in 5 s.
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
        except sqlite3.Error as exc:
            raise JournalError(f"{path}: cannot open ({exc})") from None
        try:
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            if not create:
                _refuse_another_database(db, path)  # before anything is written into it
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN EXCLUSIVE")  # takes the lock now, and keeps it
            db.executescript(_SCHEMA)  # commits, still holding the lock
            _add_missing_columns(db)
        except sqlite3.Error as exc:
            db.close()
            if "locked" in str(exc):
                raise JournalError(f"{path}: in use by another tradeburst process") from None
            raise JournalError(f"{path}: not a tradeburst journal ({exc})") from None
        self._db = db
        self._dirty: dict[str, Intent] = {}
        self._alive_ns = 0
        self._flush_scheduled = False
        self._begun: tuple[str, int] | None = None
        """The dispatch `begin_dispatch` kept, until `record_dispatch` replaces it."""

    def close(self) -> None:
        if self._db is not None:
            self.flush()
            self._db.close()
            self._db = None  # type: ignore[assignment]

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------

    def start_run(self, run: RunRecord, intents: Iterable[Intent]) -> None:
        """Record the run and its intents durably (fsync) before anything is sent."""
        db = self._db
        db.execute("PRAGMA synchronous = FULL")
        try:
            with self._transaction():
                self._insert_run(run, intents)
        finally:
            db.execute("PRAGMA synchronous = NORMAL")

    def _insert_run(self, run: RunRecord, intents: Iterable[Intent]) -> None:
        db = self._db
        db.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0)",
            (
                run.run_id,
                run.created_ns,
                run.command,
                run.account,
                run.broker,
                run.url,
                run.profile,
                run.source,
                msgspec.json.encode(run.options).decode(),
            ),
        )
        self._insert_intents(run.run_id, intents)

    def _insert_intents(self, run_id: str, intents: Iterable[Intent]) -> None:
        self._db.executemany(
            "INSERT INTO intents (user_def, run_id, seq, line, tag, order_json, state, strategy)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (i.user_def, run_id, i.seq, i.line, i.tag, _encode_order(i.order), i.state,
                 i.strategy)
                for i in intents
            ),
        )  # fmt: skip

    def add_intents(self, run_id: str, intents: Iterable[Intent]) -> None:
        """Record more intents of a started run durably (fsync) before any is sent: a
        strategy decides its orders as the run goes."""
        db = self._db
        db.execute("PRAGMA synchronous = FULL")
        try:
            with self._transaction():
                self._insert_intents(run_id, intents)
        finally:
            db.execute("PRAGMA synchronous = NORMAL")

    def record(self, intent: Intent) -> None:
        """Note a change to `intent`; it is written with the next group commit, at most
        `GROUP_COMMIT_S` later."""
        self._dirty[intent.user_def] = intent
        self._schedule_flush()

    def note_alive(self, wall_ns: int) -> None:
        """Note that the run is alive and may be sending, with the next group commit."""
        self._alive_ns = wall_ns
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            try:
                asyncio.get_running_loop().call_later(GROUP_COMMIT_S, self.flush)
            except RuntimeError:  # no loop: write now
                self.flush()

    def flush(self) -> None:
        self._flush_scheduled = False
        if (not self._dirty and not self._alive_ns) or self._db is None:
            return
        dirty, self._dirty = self._dirty, {}
        alive_ns, self._alive_ns = self._alive_ns, 0
        with self._transaction():
            self._db.executemany(_UPDATE, (_row(intent) for intent in dirty.values()))
            if alive_ns:
                self._db.execute("UPDATE runs SET alive_ns = max(alive_ns, ?)", (alive_ns,))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN … COMMIT, rolled back if anything in between fails, so the journal stays
        usable."""
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def record_fills(self, fills: Iterable[Fill]) -> int:
        """Keep the fills of this journal's orders (by `user_def`), each once; say how many
        are new."""
        ours = {row[0] for row in self._db.execute("SELECT user_def FROM intents")}
        rows = [
            (f.filled_no, f.user_def, f.order_no, f.symbol, f.side, f.quantity, str(f.price_twd),
             f.time_ns)
            for f in fills
            if f.user_def in ours
        ]  # fmt: skip
        before = self._db.total_changes
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO fills VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        return self._db.total_changes - before

    def fills(self) -> list[Fill]:
        rows = self._db.execute("SELECT * FROM fills ORDER BY time_ns, filled_no")
        with self._damage_named("fills"):
            return [self._fill_of(r) for r in rows]

    def _fill_of(self, r: Any) -> Fill:
        self._numbers_in("fills", r, _FILL_COLUMNS, _FILL_NUMBERS)
        return Fill(
            filled_no=r[0],
            user_def=r[1],
            order_no=r[2],
            symbol=r[3],
            side=Side(r[4]),
            quantity=r[5],
            price_twd=Decimal(r[6]),
            time_ns=r[7],
        )

    def begin_dispatch(self, dispatch: DispatchRecord) -> None:
        """Keep a dispatch's clock estimate before it sends anything: a run killed in the
        middle still tells `report` which clock its sends were made by. `record_dispatch`
        then puts the whole record in its place."""
        self.flush()
        self.record_dispatch(dispatch)
        # Not finished until this dispatch says so: a crash in it leaves the journal short.
        self._db.execute("UPDATE runs SET finished_ns = NULL WHERE run_id = ?", (dispatch.run_id,))
        self._begun = (dispatch.run_id, dispatch.started_ns)

    def record_dispatch(self, dispatch: DispatchRecord) -> None:
        """Keep one dispatch's clock estimate and opening sends, for `report` (in place of
        what `begin_dispatch` kept of it)."""
        begun, self._begun = self._begun, None
        with self._transaction():
            if begun is not None:
                self._db.execute(
                    "DELETE FROM dispatches WHERE run_id = ? AND started_ns = ?", begun
                )
            self._db.execute(
                "INSERT INTO dispatches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    dispatch.run_id,
                    dispatch.command,
                    dispatch.started_ns,
                    dispatch.target_ns,
                    dispatch.offset_ns,
                    dispatch.rtt_ns,
                    dispatch.offset_error_ns,
                    msgspec.json.encode(dispatch.opening_sends_ns).decode(),
                    msgspec.json.encode(dispatch.opening_received_ns).decode(),
                    msgspec.json.encode(dispatch.sends).decode(),
                ),
            )

    def dispatches(self, run_id: str) -> list[DispatchRecord]:
        rows = self._db.execute(
            "SELECT run_id, command, started_ns, target_ns, offset_ns, rtt_ns,"
            " offset_error_ns, opening_sends, opening_received, sends FROM dispatches"
            " WHERE run_id = ?"
            " ORDER BY started_ns",
            (run_id,),
        )
        with self._damage_named("dispatches"):
            return [self._dispatch_of(r) for r in rows]

    def _dispatch_of(self, r: Any) -> DispatchRecord:
        self._numbers_in(
            "dispatches", r, _DISPATCH_COLUMNS, _DISPATCH_NUMBERS, _DISPATCH_OPTIONAL_NUMBERS
        )
        return DispatchRecord(
            run_id=r[0],
            command=r[1],
            started_ns=r[2],
            target_ns=r[3],
            offset_ns=r[4],
            rtt_ns=r[5],
            offset_error_ns=r[6],
            opening_sends_ns=msgspec.json.decode(r[7], type=list[int]),
            opening_received_ns=msgspec.json.decode(r[8], type=list[int]),
            sends=msgspec.json.decode(r[9], type=list[tuple[int, int]]),
        )

    def finish_run(self, run_id: str, wall_ns: int) -> None:
        """The run's last dispatch ended cleanly: the journal is complete (every send and
        answer written), until another dispatch begins."""
        self.flush()
        self._db.execute("UPDATE runs SET finished_ns = ? WHERE run_id = ?", (wall_ns, run_id))

    # -- reading --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _damage_named(self, table: str) -> Iterator[None]:
        """A row that does not read back (edited by hand, a failing disk) is named as
        damage to the journal, not shown as a traceback."""
        try:
            yield
        except (ValueError, TypeError, ArithmeticError, sqlite3.DatabaseError) as exc:
            raise JournalError(f"{self.path}: damaged journal, in its {table} ({exc})") from None

    def _options_of(self, raw: Any) -> dict[str, Any]:
        with self._damage_named("runs"):
            options = msgspec.json.decode(raw)
            msgspec.convert(options, _StoredOptions)
        assert isinstance(options, dict)  # the conversion took nothing else
        return options

    def _numbers_in(
        self, table: str, row: Any, columns: Sequence[str], numbers: Iterable[int],
        optional: Iterable[int] = (),
    ) -> None:  # fmt: skip
        """Whole numbers where the schema has them: SQLite keeps whatever it is given."""
        for index in (*numbers, *optional):
            value = row[index]
            if value is None and index in optional:
                continue
            if not isinstance(value, int):
                raise JournalError(
                    f"{self.path}: damaged journal, in its {table} "
                    f"({columns[index]} is {value!r}, not a whole number)"
                )

    def last_sign_of_life_ns(self, run_id: str, now_ns: int) -> int:
        """The latest wall-clock ns the journal shows the run doing anything: a send, an
        answer, a dispatch, its heartbeat, or a rush's target that has come (it sends
        then, and a crash may lose the record of it); a target still to come does not
        count, for a dead run sends nothing at it."""
        row = self._db.execute(
            "SELECT max(created_ns, alive_ns, coalesce(finished_ns, 0)) FROM runs WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        stamps = self._db.execute(
            "SELECT max(max(sent_ns), max(answered_ns), max(queued_ns)) FROM intents"
            " WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        dispatched = self._db.execute(
            "SELECT max(max(started_ns), max(CASE WHEN target_ns <= ? THEN target_ns"
            " ELSE 0 END)) FROM dispatches WHERE run_id = ?",
            (now_ns, run_id),
        ).fetchone()
        found = [r[0] for r in (row, stamps, dispatched) if r is not None and r[0] is not None]
        with self._damage_named("runs"):
            return max((int(v) for v in found), default=0)

    def refuse_if_used(self) -> None:
        """A journal holds one run: a second would hide the first from `resume`."""
        row = self._db.execute("SELECT run_id FROM runs LIMIT 1").fetchone()
        if row is not None:
            raise JournalError(
                f"{self.path}: already holds run {row[0]}; finish it with `resume`, "
                "or journal this run elsewhere"
            )

    def run(self) -> RunRecord:
        row = self._db.execute(
            "SELECT run_id, created_ns, command, account, broker, url, profile, source,"
            " options, finished_ns FROM runs ORDER BY created_ns DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise JournalError(f"{self.path}: holds no run")
        return RunRecord(
            run_id=row[0],
            created_ns=row[1],
            command=row[2],
            account=row[3],
            broker=row[4],
            url=row[5],
            profile=row[6],
            source=row[7],
            options=self._options_of(row[8]),
            finished_ns=row[9],
        )

    def intents(self, run_id: str) -> list[Intent]:
        rows = self._db.execute(
            "SELECT seq, line, tag, order_json, state, order_no, status, message, attempts,"
            " resent, sent_ns, answered_ns, last_time, strategy, queued_ns, throttle_wait_ns,"
            " by_query FROM intents WHERE run_id = ?"
            " ORDER BY seq",
            (run_id,),
        )
        with self._damage_named("intents"):
            return [self._intent_of(r) for r in rows]

    def _intent_of(self, r: Any) -> Intent:
        self._numbers_in("intents", r, _INTENT_COLUMNS, _INTENT_NUMBERS, _INTENT_OPTIONAL_NUMBERS)
        return Intent(
            seq=r[0],
            line=r[1],
            tag=r[2],
            order=_decode_order(r[3]),
            state=IntentState(r[4]),
            order_no=r[5],
            status=r[6],
            message=r[7],
            attempts=r[8],
            resent=r[9],
            sent_ns=r[10],
            answered_ns=r[11],
            last_time=r[12],
            strategy=r[13],
            queued_ns=r[14],
            throttle_wait_ns=r[15],
            by_query=bool(r[16]),
        )
