"""An intent: one order the user asked for, under its client order id, and everything the
engine learned about it: attempts, the broker's answer, stamps. The journal stores
intents; the dispatcher moves them through their states:

    PENDING ──send──▶ IN_FLIGHT ──answer──▶ ACCEPTED | REJECTED
       ▲                  │
       │            not sent / rate-limited (nothing placed): back to PENDING
       │                  │ no answer
       │                  ▼
       └─ not at the ── UNKNOWN ──query finds it decided──▶ ACCEPTED | REJECTED
          broker, and     │   ▲
          too old to      └───┘ query finds it undecided (status 4, 8, 9), or not
          land now              yet there while its request may still land: asked
                                again later, never sent again until then

`resent` counts sends after an UNKNOWN that the broker turned out not to have, once its
request was older than the request age (`may_land_until_ns`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tradeburst.model import Order

__all__ = ["Intent", "IntentState"]


class IntentState(enum.StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    UNKNOWN = "unknown"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in (IntentState.ACCEPTED, IntentState.REJECTED)


@dataclass(slots=True, eq=False, kw_only=True)
class Intent:
    seq: int
    line: int
    tag: str
    order: Order
    """With its client order id in `user_def`."""
    strategy: str = ""
    """The strategy that asked for it (empty for a plain batch)."""
    state: IntentState = IntentState.PENDING
    order_no: str | None = None
    status: int | None = None
    message: str | None = None
    attempts: int = 0
    resent: int = 0
    queued_ns: int = 0
    """Wall-clock ns the latest send was first due: the dispatch began (a rush's target),
    or the intent went back to the queue."""
    throttle_wait_ns: int = 0
    """Of the latest send's time in the queue, how long it waited at the head for the
    throttle (the rest is orders ahead of it, back-offs and pacing)."""
    sent_ns: int = 0
    """Wall-clock ns of the latest send."""
    answered_ns: int = 0
    """Wall-clock ns the answer arrived (or the query that settled it)."""
    last_time: str | None = None
    by_query: bool = False
    """Settled by asking the broker after its answer was lost (or after a crash):
    `answered_ns` is then the query's time, not the answer's."""
    lost_at: float = 0.0
    """Loop time the answer was found lost (UNKNOWN only)."""
    ask_at: float = 0.0
    """Loop time the broker is next asked about it (UNKNOWN only)."""
    may_land_until_ns: int = 0
    """Wall-clock ns until which a request carrying it may still reach the broker: its
    latest send (or, after a crash, the dead run's last sign of life) plus the request
    age. It is never sent again before then."""
    answer_lost: bool = False
    """Its latest request left and no answer came (or a stopped run's journal shows it in
    flight): sending it again counts as a resend."""
    aged_out: bool = False
    """Queued again because the broker lacked it once its request had aged out: its next
    send starts a late-duplicate watch."""

    @property
    def user_def(self) -> str:
        assert self.order.user_def is not None
        return self.order.user_def
