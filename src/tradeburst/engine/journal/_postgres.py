"""The journal in PostgreSQL (`--journal postgresql://USER@HOST:PORT/DB`), shared by the
processes and hosts that work one account, through asyncpg.

As with the file journal: a new run and its intents are committed with
`synchronous_commit = on` before the first byte goes to the broker, and outcomes are
group-committed (`GroupCommits`, each group with `synchronous_commit = off`: losing the
last one in a crash is harmless, `resume` asks the broker). In place of SQLite's exclusive
lock, the process that works a run holds a session advisory lock on its run id: a second
`resume` of the run is refused while the first lives, and the server releases the lock
when the holder's connection ends, however it died. Client order ids are inserted with
`ON CONFLICT DO NOTHING`: one already there is never written twice. Every statement has
the journal's write deadline as its `command_timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

import asyncpg

from tradeburst.engine._intents import Intent
from tradeburst.engine.journal import _postgres_schema as sql
from tradeburst.engine.journal._location import JournalLocation
from tradeburst.engine.journal._records import (
    WRITE_DEADLINE_S,
    DispatchRecord,
    JournalError,
    RunRecord,
    RunSnapshot,
)
from tradeburst.engine.journal._rows import (
    dispatch_of,
    dispatch_row,
    fill_of,
    fill_row,
    intent_of,
    new_intent_row,
    run_record_of,
    run_row,
)
from tradeburst.engine.journal._sqlite_open import Mode
from tradeburst.engine.journal._store import GroupCommits, GroupCommittedStore
from tradeburst.model import Fill

__all__ = ["CONNECT_TIMEOUT_S", "PostgresJournal"]

CONNECT_TIMEOUT_S = 10.0
_FAILURES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class PostgresJournal(GroupCommittedStore):
    """One connection to the journal's database; `await PostgresJournal.open(...)`."""

    def __init__(self, location: JournalLocation, connection: Any, run_id: str | None) -> None:
        self.location = location.shown
        self.last_write_ns = 0
        """The heartbeat in the database stands for a file's last write."""
        self._where = location
        self._db: Any = connection
        self._run_id = run_id
        self._busy = asyncio.Lock()  # one statement at a time on the connection
        self._commits = GroupCommits(self.location, self._write_group)
        self._begun: tuple[str, int] | None = None

    @classmethod
    async def open(
        cls, location: JournalLocation, mode: Mode, run_id: str | None = None
    ) -> PostgresJournal:
        """Connect; make the tables (to write); for `work`, take the run's lock."""
        try:
            connection = await asyncpg.connect(
                dsn=location.url, timeout=CONNECT_TIMEOUT_S, command_timeout=WRITE_DEADLINE_S
            )
        except (*_FAILURES, ValueError) as exc:
            raise JournalError(f"{location}: cannot connect ({location.scrub(str(exc))})") from None
        journal = cls(location, connection, run_id)
        try:
            if mode != "read":
                await journal._make_tables()
            if mode != "create":
                await journal._named_run()
            if mode == "work":
                await journal._lock(journal._run_id or "")
        except BaseException:
            await journal._close_connection()
            raise
        return journal

    @property
    def _closed(self) -> bool:
        return self._db is None

    async def _release(self) -> None:
        await self._close_connection()

    async def _close_connection(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            with contextlib.suppress(*_FAILURES):
                await db.close(timeout=CONNECT_TIMEOUT_S)  # ends the session: locks go

    @contextlib.asynccontextmanager
    async def _using(self, doing: str, *, writes: bool = True) -> AsyncIterator[Any]:
        """The connection, alone; a failure is named, and a failed write is the journal's
        failure."""
        if self._db is None:
            raise JournalError(f"{self.location}: closed")
        async with self._busy:
            try:
                yield self._db
            except _FAILURES as exc:
                failure = JournalError(
                    f"{self.location}: cannot {doing} ({self._where.scrub(str(exc))})"
                )
                if writes:
                    self._commits.fail(failure)
                raise failure from None

    async def _make_tables(self) -> None:
        async with self._using("create the journal's tables") as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", sql.SCHEMA_LOCK)
            await db.execute(sql.SCHEMA)

    async def _named_run(self) -> None:
        """To finish or read a run, the URL's database holds many: `--run` names it."""
        if self._run_id is not None:
            return
        async with self._using("read the journal", writes=False) as db:
            try:
                rows = await db.fetch("SELECT run_id FROM tradeburst.runs"
                                      " ORDER BY created_ns DESC LIMIT 5")  # fmt: skip
            except asyncpg.UndefinedTableError:
                rows = []
        latest = ", ".join(r[0] for r in rows) or "none yet"
        raise JournalError(
            f"{self.location}: holds many runs; name one with --run RUNID (latest: {latest})"
        )

    async def _lock(self, run_id: str) -> None:
        async with self._using("lock the run") as db:
            held = await db.fetchval(f"SELECT pg_try_advisory_lock({sql.LOCK_KEY})", run_id)
        if not held:
            raise JournalError(
                f"{self.location}: run {run_id} is being worked by another tradeburst process "
                "(it holds the run's lock); it is freed when that process ends"
            )

    # -- writing --------------------------------------------------------------------------

    async def start_run(self, run: RunRecord, intents: Iterable[Intent]) -> None:
        rows = _intent_rows(run.run_id, intents)
        await self._lock(run.run_id)
        async with self._using("write the run") as db, db.transaction():
            await db.execute("SET LOCAL synchronous_commit = on")
            taken = await db.fetchval(
                "INSERT INTO tradeburst.runs (run_id, created_ns, command, account, broker,"
                " url, profile, source, options, finished_ns) VALUES"
                " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING"
                " RETURNING false", *run_row(run)
            ) is None  # fmt: skip
            if taken:
                raise JournalError(f"{self.location}: already holds a run {run.run_id}; try again")
            await db.executemany(sql.INSERT_INTENT, rows)
        self._run_id = run.run_id

    async def add_intents(self, run_id: str, intents: Iterable[Intent]) -> None:
        rows = _intent_rows(run_id, intents)
        async with self._using("write intents") as db, db.transaction():
            await db.execute("SET LOCAL synchronous_commit = on")
            await db.executemany(sql.INSERT_INTENT, rows)

    async def _write_group(self, rows: list[tuple[Any, ...]], alive_ns: int) -> None:
        async with self._using("write the journal") as db, db.transaction():
            await db.execute("SET LOCAL synchronous_commit = off")
            if rows:
                await db.executemany(sql.UPDATE_INTENT, rows)
            if alive_ns and self._run_id is not None:
                await db.execute(
                    "UPDATE tradeburst.runs SET alive_ns = GREATEST(alive_ns, $1)"
                    " WHERE run_id = $2", alive_ns, self._run_id,
                )  # fmt: skip

    async def begin_dispatch(self, dispatch: DispatchRecord) -> None:
        await self.flush()
        await self.record_dispatch(dispatch)
        async with self._using("write the dispatch") as db:
            await db.execute("UPDATE tradeburst.runs SET finished_ns = NULL WHERE run_id = $1",
                             dispatch.run_id)  # fmt: skip
        self._begun = (dispatch.run_id, dispatch.started_ns)

    async def record_dispatch(self, dispatch: DispatchRecord) -> None:
        begun, self._begun = self._begun, None
        async with self._using("write the dispatch") as db, db.transaction():
            if begun is not None:
                await db.execute("DELETE FROM tradeburst.dispatches"
                                 " WHERE run_id = $1 AND started_ns = $2", *begun)  # fmt: skip
            await db.execute(sql.INSERT_DISPATCH, *dispatch_row(dispatch))

    async def record_fills(self, run_id: str, fills: Iterable[Fill]) -> int:
        rows = [(run_id, *fill_row(f)) for f in fills]
        async with self._using("write fills") as db, db.transaction():
            before = await db.fetchval("SELECT count(*) FROM tradeburst.fills WHERE run_id = $1",
                                       run_id)  # fmt: skip
            await db.executemany(sql.INSERT_FILL, rows)
            after = await db.fetchval("SELECT count(*) FROM tradeburst.fills WHERE run_id = $1",
                                      run_id)  # fmt: skip
        return int(after - before)

    async def finish_run(self, run_id: str, wall_ns: int) -> None:
        await self.flush()
        async with self._using("finish the run") as db:
            await db.execute("UPDATE tradeburst.runs SET finished_ns = $1 WHERE run_id = $2",
                             wall_ns, run_id)  # fmt: skip

    # -- reading --------------------------------------------------------------------------

    async def snapshot(self, run_id: str | None = None) -> RunSnapshot:
        run_id = run_id or self._run_id
        if run_id is None:
            await self._named_run()
        where = self.location
        async with self._using("read the journal", writes=False) as db:
            try:
                row = await db.fetchrow(sql.SELECT_RUN, run_id)
            except asyncpg.UndefinedTableError:
                row = None
            if row is None:
                raise JournalError(f"{where}: holds no run {run_id}")
            intents = await db.fetch(sql.SELECT_INTENTS, run_id)
            dispatches = await db.fetch(sql.SELECT_DISPATCHES, run_id)
            fills = await db.fetch(sql.SELECT_FILLS, run_id)
        return RunSnapshot(
            run=run_record_of(where, tuple(row)),
            intents=[intent_of(where, tuple(r)) for r in intents],
            dispatches=[dispatch_of(where, tuple(r)) for r in dispatches],
            fills=[fill_of(where, tuple(r)) for r in fills],
        )

    async def last_sign_of_life_ns(self, run_id: str, now_ns: int) -> int:
        async with self._using("read the journal", writes=False) as db:
            value = await db.fetchval(sql.LIFE_SIGNS, run_id, now_ns)
        return int(value or 0)


def _intent_rows(run_id: str, intents: Iterable[Intent]) -> list[tuple[Any, ...]]:
    """New intents' rows, the order's JSON as text (a TEXT column here)."""
    rows = []
    for intent in intents:
        row = new_intent_row(run_id, intent)
        rows.append((*row[:5], bytes(row[5]).decode(), *row[6:]))
    return rows
