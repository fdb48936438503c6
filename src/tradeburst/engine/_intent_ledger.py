"""The intents of one dispatch and what happens to them, so that each is settled exactly
once: the queue of those still to send (its head taken when the throttle lets a request
go), each send journaled as in flight, and what a request's end does to its intents:

- an answer: accepted or rejected, final (a rejection for rate is not a rejection: the
  order was not placed and goes back to the queue);
- `RateLimited`: nothing placed; back to the front of the queue, and the class backs off;
- `NotSent`: nothing placed; back to the front of the queue, after a short back-off, until
  the attempt limit;
- `AnswerLost`: UNKNOWN, handed to `_unknowns.Unknowns`, which schedules the queries that
  settle it (`_unknowns_query`); never resent blindly.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from tradeburst.brokers import OrderState
from tradeburst.clock import mono_ns, wall_ns
from tradeburst.engine._dispatch_terms import DispatchOptions, DispatchStats
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._planner import Request, next_request
from tradeburst.engine._reconcile import apply_answer, refused_for_rate
from tradeburst.engine._throttle import Slots
from tradeburst.engine._throttle_api import AccountThrottle
from tradeburst.engine._unknowns import Unknowns, backoff_s
from tradeburst.engine.journal import JournalStore
from tradeburst.limits import RATE_LIMIT_MESSAGE

__all__ = ["IntentLedger", "Taken"]

log = logging.getLogger(__name__)

RATE_BACKOFF_S = (0.05, 1.0)
"""First and largest back-off after a rate-limit refusal; it doubles in between."""
NOT_SENT_BACKOFF_S = (0.02, 2.0)

Taken = tuple[list[Intent], Request, Slots]
"""A request the throttle lets go now: its intents, the request and its slots."""


class IntentLedger:
    """The intents of one dispatch: queued, in flight, unknown or settled."""

    def __init__(
        self,
        intents: list[Intent],
        options: DispatchOptions,
        stats: DispatchStats,
        journal: JournalStore,
        throttle: AccountThrottle,
    ) -> None:
        self._options = options
        self._stats = stats
        self._journal = journal
        self._throttle = throttle
        self.pending: deque[Intent] = deque()
        self.unknowns = Unknowns(options, journal)
        for intent in intents:
            if intent.state is IntentState.ACCEPTED:
                stats.accepted += 1
            elif intent.state is IntentState.REJECTED:
                stats.rejected += 1
            elif intent.state is IntentState.UNKNOWN:  # the broker holds it: ask, never send
                self.unknowns.adopt(intent)
                stats.unknown += 1
            else:
                intent.state = IntentState.PENDING
                self.pending.append(intent)
        self._failures: dict[int, int] = {}
        """Per intent (by seq), this run's sends that placed nothing or went unanswered and
        were not found: the attempt limit counts these, not rate refusals or past runs."""
        self._not_sent_streak = 0
        self._rate_streak = 0
        self.hold_until = 0.0
        """No request before this loop time: a back-off after a refusal."""
        self.wall_offset_ns = wall_ns() - mono_ns()
        """Wall-clock ns less monotonic ns, by this run's one reading of both."""
        self._max_age_ns = int(options.max_request_age_s * 1e9)
        self._throttled_since_ns = 0
        """Monotonic ns since when the head of the queue has waited for the throttle."""

    # -- the queue ------------------------------------------------------------------------

    def take_request(self) -> Taken | None:
        """The next request the throttle lets go now, with its intents and slots."""
        max_batch = 1 if self._options.pacing else self._options.max_batch
        request = next_request(self._throttle, len(self.pending), max_batch)
        slots = self._throttle.try_take(request.charges) if request is not None else None
        if request is None or slots is None:
            if self.pending:  # the head waits for the throttle (not: nothing to send)
                self._throttled_since_ns = self._throttled_since_ns or mono_ns()
            return None
        intents = [self.pending.popleft() for _ in range(request.size)]
        if self._throttled_since_ns:
            throttle_wait_ns = mono_ns() - self._throttled_since_ns
            self._throttled_since_ns = 0
            for intent in intents:
                intent.throttle_wait_ns = throttle_wait_ns
        return intents, request, slots

    def requeue(self, intents: list[Intent]) -> None:
        if not self.pending:  # a new head: its wait for the throttle starts afresh
            self._throttled_since_ns = 0
        queued_ns = mono_ns() + self.wall_offset_ns
        for intent in reversed(intents):
            intent.state = IntentState.PENDING
            intent.queued_ns = queued_ns
            intent.throttle_wait_ns = 0
            self.pending.appendleft(intent)
            self._journal.record(intent)

    def mark_sent(self, intents: list[Intent], sent_ns: int) -> None:
        """In flight from `sent_ns`, journaled: a resume must know they may have left."""
        wall_ns = sent_ns + self.wall_offset_ns
        for intent in intents:
            intent.state = IntentState.IN_FLIGHT
            intent.attempts += 1
            intent.sent_ns = wall_ns
            intent.may_land_until_ns = wall_ns + self._max_age_ns
            if intent.aged_out:
                self._stats.last_resend_wall_ns = wall_ns
            self._journal.record(intent)

    # -- a request's end ------------------------------------------------------------------

    def answered(
        self,
        pairs: list[tuple[Intent, OrderState]],
        unnamed: list[Intent],
        request: Request,
        sent_ns: int,
        answered_ns: int,
    ) -> None:
        """What the answer to a request sent at `sent_ns` settles: each intent it names
        (`pairs`); those it does not name (`unnamed`) are UNKNOWN."""
        stats = self._stats
        refused: list[Intent] = []
        for intent, answer in pairs:
            if refused_for_rate(answer):
                refused.append(intent)
                continue
            stats.latencies_ns.append(answered_ns - sent_ns)
            self.settle(intent, answer, answered_ns)
        if unnamed:  # answered, but not about these: only a query can tell
            self.lost(unnamed, "the answer did not name them")
        if refused:
            self.rate_refused(refused, request, RATE_LIMIT_MESSAGE)
        else:
            self._rate_streak = 0
        self._not_sent_streak = 0

    def settle(self, intent: Intent, answer: OrderState, answered_ns: int) -> None:
        if intent.state is IntentState.UNKNOWN:
            self.unknowns.discard(intent)
            self._stats.unknown -= 1
        apply_answer(intent, answer, answered_ns + self.wall_offset_ns)
        if answer.accepted:
            self._stats.accepted += 1
        else:
            self._stats.rejected += 1
        self._stats.last_settle_ns = answered_ns
        self._journal.record(intent)

    def rate_refused(self, intents: list[Intent], request: Request, message: str) -> None:
        self._stats.rate_limit_rejections += 1
        pause_s = backoff_s(RATE_BACKOFF_S, self._rate_streak)
        self._rate_streak += 1
        # Held here too: the broker may limit a class our profile does not know of.
        self.hold_until = max(self.hold_until, asyncio.get_running_loop().time() + pause_s)
        # The live view and the summary count these; a line each would bury the screen.
        log.info("rate limit refusal (%s); backing off %.0f ms", message, pause_s * 1000)
        for charge in request.charges:
            self._throttle.penalize(charge.limit_class, pause_s)
        self.requeue(intents)

    def not_placed(self, intents: list[Intent], message: str) -> None:
        self.hold_until = max(
            self.hold_until,
            asyncio.get_running_loop().time()
            + backoff_s(NOT_SENT_BACKOFF_S, self._not_sent_streak),
        )
        self._not_sent_streak += 1
        log.info("not placed (%s); sending again", message)
        intents = [i for i in intents if self.may_try_again(i, message)]
        self.requeue(intents)

    def may_try_again(self, intent: Intent, message: str) -> bool:
        """Count a failed try; past the attempt limit the intent is left unsent."""
        intent.message = message
        tries = self._failures[intent.seq] = self._failures.get(intent.seq, 0) + 1
        if tries < self._options.max_attempts:
            return True
        intent.state = IntentState.PENDING
        self._stats.not_sent += 1
        self._journal.record(intent)
        return False

    def lost(self, intents: list[Intent], message: str, slots: Slots | None = None) -> None:
        log.info("answer lost (%s) for %d orders; will ask the broker", message, len(intents))
        self.unknowns.lost(intents, message, asyncio.get_running_loop().time(), slots)
        self._stats.unknown += len(intents)
