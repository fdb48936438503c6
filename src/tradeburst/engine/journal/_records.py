"""What the journal keeps, as values: a run, a dispatch (one pass of sending), what a run
holds when read back whole, the journal's error, and the two intervals its writers keep
(group commits, the heartbeat). Every store (SQLite, PostgreSQL) reads and writes these."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tradeburst.engine._intents import Intent
from tradeburst.errors import TradeburstError
from tradeburst.model import Fill

__all__ = [
    "GROUP_COMMIT_S",
    "HEARTBEAT_S",
    "UNSEEN_S",
    "WRITE_DEADLINE_S",
    "DispatchRecord",
    "JournalError",
    "RunRecord",
    "RunSnapshot",
]

GROUP_COMMIT_S = 0.02
"""How long outcomes gather before one transaction writes them: a commit per answer would
cost more than the answer."""
HEARTBEAT_S = 1.0
"""How often a dispatching run notes in the journal that it is alive."""
WRITE_DEADLINE_S = 10.0
"""A group commit that has not ended by then fails the journal, and the run stops sending:
a disk or a database that hangs, rather than fails, would otherwise let a run send on with
its last sign of life growing old, and a `resume` after it died would trust that sign."""
UNSEEN_S = HEARTBEAT_S + 2 * GROUP_COMMIT_S + WRITE_DEADLINE_S
"""How long a run may have sent past the last sign of life its journal kept: a heartbeat's
interval, a group's gathering and writing, and a write that hung until its deadline."""


class JournalError(TradeburstError):
    """The journal cannot be used: in use by another process, missing, not a journal,
    damaged, or it cannot be written."""


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


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSnapshot:
    """A run as its journal holds it, read in one go (for `report` and `resume`)."""

    run: RunRecord
    intents: list[Intent]
    dispatches: list[DispatchRecord]
    fills: list[Fill]
    """The fills of the run's orders, in time order."""
