"""Persistence: every order record and fill in SQLite (WAL), so an order the exchange has
acknowledged survives `kill -9` and comes back on a restart with the same `--db`.

The market marks records dirty through the listener interface. Before a request is
answered the server awaits `committed()`: the first request to ask schedules one commit at
the end of the event loop's current round, and every request that changed something in
that round waits for the same commit (a group commit). Nothing is acknowledged that is not
yet in the database, and a burst of concurrent requests costs one commit, not one each:
neither an answer nor an account-stream event, which waits for the commit (`after_flush`).

WAL with `synchronous=NORMAL` puts each commit in the operating system's hands before
`flush` returns, which is what surviving a killed process needs (surviving a power cut
would need FULL, at a cost per commit). The commit itself never syncs; the checkpoint
(copying the log into the database file) does, twice, and took tens of milliseconds on a
busy disk inside whichever commit SQLite ran it in. So SQLite never checkpoints on its
own here: once `CHECKPOINT_BYTES` of records have been written since the last one (a log
of about SQLite's own default size, 1000 pages), a worker thread checkpoints, and a
commit that comes due meanwhile waits for it (the connection is never used by two threads
at once) while the event loop goes on. What is committed is in the log either way: the
checkpoint moves nothing a crash could lose.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import msgspec

from tradeburst.errors import TradeburstError
from tradeburst.exchange._events import MarketListener
from tradeburst.wire import FilledData, OrderResult

__all__ = ["CHECKPOINT_BYTES", "Store", "StoreInUse"]

log = logging.getLogger(__name__)

CHECKPOINT_BYTES = 2 * 1024 * 1024
"""Encoded records written between checkpoints: each commit writes whole pages, so the
log is then about twice this, when SQLite would have run its own."""


class StoreInUse(TradeburstError, sqlite3.OperationalError):
    """Another process holds the database."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS fills (filled_no INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS market (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
"""Each record whole in `body` (msgpack, by field name), keyed by its number: the rowid,
so a row costs one b-tree and no index. Nothing reads the records by another column."""

_OLD_LAYOUT = """
ALTER TABLE orders RENAME TO orders_before;
ALTER TABLE fills RENAME TO fills_before;
CREATE TABLE orders (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE fills (filled_no INTEGER PRIMARY KEY, body BLOB NOT NULL);
INSERT INTO orders SELECT seq, body FROM orders_before;
INSERT INTO fills SELECT CAST(filled_no AS INTEGER), body FROM fills_before;
DROP TABLE orders_before;
DROP TABLE fills_before;
"""
"""A database written before that layout (orders with their account, tag, number, status
and stamp in columns too; fills keyed by their number as text) moved into it, once."""


class Store(MarketListener):
    def __init__(self, path: str | Path) -> None:
        """Open (or create) the database and hold it exclusively: two exchanges writing
        one file would overwrite each other's orders. Raises `StoreInUse` if another
        process holds it."""
        self._db = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=0
        )
        try:
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA wal_autocheckpoint=0")  # ours, off the answers' path
            self._db.execute("BEGIN EXCLUSIVE")  # takes the lock now, and keeps it
            columns = self._db.execute("SELECT count(*) FROM pragma_table_info('orders')")
            if columns.fetchone()[0] > 2:
                self._db.executescript(f"BEGIN; {_OLD_LAYOUT} COMMIT;")  # whole, or not at all
            self._db.executescript(_SCHEMA)  # commits, still holding the lock
        except sqlite3.OperationalError as exc:
            self._db.close()
            if "locked" in str(exc):
                raise StoreInUse(f"{path} is in use by another exchange") from None
            raise
        self._encoder = msgspec.msgpack.Encoder()
        self._dirty: dict[str, OrderResult] = {}
        self._new_fills: list[FilledData] = []
        self._synced_ns: int | None = None
        """The last phase change carried out, when not yet written."""
        self._closed = False
        self._wal = mode == "wal"  # an in-memory database has no log to checkpoint
        self._written_bytes = 0
        """Encoded records written since the last checkpoint."""
        self._lock = threading.Lock()
        """Held by whoever uses the connection: a write, or the checkpoint's thread."""
        self._checkpoint: asyncio.Future[None] | None = None
        self._commit: list[asyncio.Future[None]] | None = None
        """Who waits for the commit of this round, once one is due."""
        self.after_flush: list[Callable[[], None]] = []
        """Called once everything changed so far is committed (events held until then)."""

    def order_changed(self, record: OrderResult) -> None:
        self._dirty[record.seq_no] = record

    def filled(self, fill: FilledData) -> None:
        self._new_fills.append(fill)

    def requeued(self, record: OrderResult) -> None:
        self._dirty[record.seq_no] = record

    def changes_applied(self, synced_ns: int) -> None:
        self._synced_ns = synced_ns

    async def committed(self) -> None:
        """Return once every change made so far is committed."""
        if not self._dirty and not self._new_fills and self._synced_ns is None:
            return
        loop = asyncio.get_running_loop()
        if self._commit is None:
            self._commit = []
            if self._checkpoint is None:
                loop.call_soon(self._commit_round)
            else:  # the round's commit comes once the checkpoint is done
                self._checkpoint.add_done_callback(lambda _: self._commit_round())
        # A future of its own: a waiter cancelled cancels nothing the others wait for,
        # without `asyncio.shield`'s extra callback round for every request.
        waiter = loop.create_future()
        self._commit.append(waiter)
        await waiter

    def _commit_round(self) -> None:
        waiters, self._commit = self._commit, None
        assert waiters is not None
        try:
            self.flush()
        except Exception as exc:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
        else:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def _checkpoint_if_due(self) -> None:
        """Checkpoint in a worker thread once enough is written (inline with no loop)."""
        if not self._wal or self._checkpoint is not None:
            return
        if self._written_bytes < CHECKPOINT_BYTES:
            return
        self._written_bytes = 0
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._run_checkpoint()
            return
        checkpoint = loop.run_in_executor(None, self._run_checkpoint)
        checkpoint.add_done_callback(self._checkpoint_done)
        self._checkpoint = checkpoint

    def _run_checkpoint(self) -> None:
        with self._lock:
            if not self._closed:  # closed before the thread got its turn
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _checkpoint_done(self, checkpoint: asyncio.Future[None]) -> None:
        self._checkpoint = None
        if not checkpoint.cancelled() and checkpoint.exception() is not None:
            # Nothing is lost: the log keeps every commit, and the next checkpoint retries.
            log.warning("store checkpoint failed: %s", checkpoint.exception())

    def flush(self) -> None:
        """Write every change since the last flush in one transaction, then let go of what
        waited for it."""
        if self._dirty or self._new_fills or self._synced_ns is not None:
            self._write()
            self._checkpoint_if_due()
        for release in self.after_flush:
            release()

    def _write(self) -> None:
        encode = self._encoder.encode
        orders = [(int(r.seq_no), encode(r)) for r in self._dirty.values()]
        fills = [(int(f.filled_no), encode(f)) for f in self._new_fills]
        self._written_bytes += sum(len(body) for _, body in orders) + sum(
            len(body) for _, body in fills
        )
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?)", orders)
            self._db.executemany("INSERT OR REPLACE INTO fills VALUES (?, ?)", fills)
            if self._synced_ns is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO market VALUES ('synced_ns', ?)", (self._synced_ns,)
                )
        self._dirty.clear()
        self._new_fills.clear()
        self._synced_ns = None

    def load(self) -> tuple[list[OrderResult], list[FilledData]]:
        orders = msgspec.msgpack.Decoder(OrderResult)
        fills = msgspec.msgpack.Decoder(FilledData)
        return (
            [orders.decode(row[0]) for row in self._db.execute("SELECT body FROM orders")],
            [fills.decode(row[0]) for row in self._db.execute("SELECT body FROM fills")],
        )

    def synced_ns(self) -> int | None:
        """The last phase change the stored market carried out (exchange ns), if any."""
        row = self._db.execute("SELECT value FROM market WHERE key = 'synced_ns'").fetchone()
        return None if row is None else int(row[0])

    def close(self) -> None:
        if not self._closed:
            self.flush()
            with self._lock:  # a checkpoint still running finishes first
                self._closed = True
                self._db.close()
