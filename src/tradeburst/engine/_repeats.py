"""The same orders twice in a day: "never twice" holds within a run, but firing a file and
then rushing it again would be two runs with their own client order ids, and the broker
would take every order twice. Before a new run sends, its orders' digest (symbol, side,
quantity, price, types and tag of every row, in order) is looked for among today's runs in
the journal folder; a run that has it, on the same account, whose orders the broker holds
today, is named and the run is refused, unless the caller says `again`. The journals are
only read (SQLite read-only), and the broker is asked only when a journal matches.

A run still sending holds its journal locked, so its digest cannot be read: a run claims
its orders first (`orders_claim`), by an exclusive lock on a small file named after the
account and the digest in the journal folder, held until it ends. A second run of the same
orders on the same account, on this host, is refused while the first lives; the lock goes
with its process, even killed. Runs on other hosts sharing a PostgreSQL journal are not
compared."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tradeburst._platform import try_lock
from tradeburst.brokers import Broker
from tradeburst.clock import ExchangeDay
from tradeburst.engine._ids import run_of
from tradeburst.engine._orders_file import InputProblem, InvalidInput, OrderRow

__all__ = [
    "DIGEST_KEY",
    "MAX_JOURNALS_READ",
    "EarlierRun",
    "earlier_run",
    "orders_claim",
    "orders_digest",
]

DIGEST_KEY = "orders_digest"
"""Where a run's digest is kept among its journaled options."""
MAX_JOURNALS_READ = 500
"""Journals of today read at most, newest first: the look stays quick in a full folder."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EarlierRun:
    run_id: str
    command: str
    journal: Path

    def problem(self, source: str) -> InputProblem:
        reason = (
            f"these orders were sent today by {self.command} run {self.run_id} "
            f"(journal {self.journal}); sending them again would place each order twice. "
            "Set again to send them once more"
        )
        return InputProblem(path=source, line=None, reason=reason)


def orders_digest(rows: Sequence[OrderRow]) -> str:
    """A digest of what the rows ask the broker for, and their tags; not of the file's
    layout, so the same orders in another order of columns or another format match."""
    digest = hashlib.sha256()
    for row in rows:
        order = row.order
        fields = [
            order.symbol, order.side, order.quantity,
            None if order.price_twd is None else str(order.price_twd.normalize()),
            order.price_type, order.time_in_force, order.market_type, order.order_type, row.tag,
        ]  # fmt: skip
        digest.update(json.dumps(fields).encode() + b"\n")
    return digest.hexdigest()


@contextlib.contextmanager
def orders_claim(folder: Path, digest: str, account: str, source: str) -> Iterator[None]:
    """This run's claim to send these orders on this account, held while it lasts; refused
    (`InvalidInput`, nothing sent) while another run of this host holds it."""
    path = folder / f".sending-{re.sub(r'[^A-Za-z0-9_-]', '_', account)[:40]}-{digest[:24]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        claim = path.open("a+b")
    except OSError:  # a folder no journal can be written in: opening it says so, unsent
        yield
        return
    # Left in place at the end: removing a file others may have open would let two runs
    # lock two different files of one name.
    with claim:
        if not try_lock(claim.fileno()):
            reason = (
                f"another run is sending these same orders on this account now (it holds "
                f"{path}); sending them again would place each order twice. "
                "Set again to send them once more"
            )
            raise InvalidInput([InputProblem(path=source, line=None, reason=reason)])
        yield


async def earlier_run(folder: Path, digest: str, broker: Broker) -> EarlierRun | None:
    """Today's run in `folder` that sent these same orders on this account, if the broker
    still holds its orders today; None when there is none."""
    today = ExchangeDay.containing(time.time_ns())
    # Up to hundreds of files opened: off the event loop.
    candidates = await asyncio.to_thread(_candidates, folder, digest, broker, today)
    if not candidates:
        return None
    held = {run_of(s.user_def) for s in await broker.order_results() if s.user_def}
    return next((run for run in candidates if run.run_id in held), None)


def _candidates(folder: Path, digest: str, broker: Broker, today: ExchangeDay) -> list[EarlierRun]:
    return [
        run
        for path in _todays_journals(folder, today.start_ns)
        if (run := _matching(path, digest, broker, today)) is not None
    ]


def _todays_journals(folder: Path, day_start_ns: int) -> list[Path]:
    """The journals changed since the day began, newest first."""
    try:
        entries = [(p.stat().st_mtime_ns, p) for p in folder.glob("*.sqlite") if p.is_file()]
    except OSError:
        return []
    recent = sorted((e for e in entries if e[0] >= day_start_ns), reverse=True)
    return [path for _, path in recent[:MAX_JOURNALS_READ]]


def _matching(path: Path, digest: str, broker: Broker, today: ExchangeDay) -> EarlierRun | None:
    """The run in journal `path` if it has `digest`, today, on this account."""
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
        ) as db:
            rows = db.execute(
                "SELECT run_id, created_ns, command, account, broker, options FROM runs"
            ).fetchall()
    except sqlite3.Error:  # not a journal, or one in use (its run holds its claim)
        return None
    for run_id, created_ns, command, account, broker_name, options in rows:
        if (account, broker_name) != (broker.account, broker.name):
            continue
        if created_ns not in today:
            continue
        try:
            stored = json.loads(options)
        except (TypeError, ValueError):
            continue
        if isinstance(stored, dict) and stored.get(DIGEST_KEY) == digest:
            return EarlierRun(run_id=run_id, command=command, journal=path)
    return None
