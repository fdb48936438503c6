"""The UNKNOWN intents of a dispatch: when the broker is asked about each, and what the
answer to one query of the account's orders does to each.

An intent is UNKNOWN when its request left and no usable answer came. One query answers
for all of them, asked once any is due (a grace period after its loss). What the broker
has and has decided settles the intent. What it holds undecided (status 4, 8, 9) is asked
about again after a pause, until the reconcile timeout. What it does not have may still be
on its way: it is asked about again after a quarter of its wait so far (1-5 s, and once
just after its request ages out), and only once its request is older than the request age
is it given back to the dispatcher to send again. A failed query is asked again after a
back-off that doubles.

A lost request keeps its throttle slots while it may still reach the broker: the broker
counts it when it lands, however late, so the slots are released only once it is known to
have landed (found, or answered late) or can land no more. Released at its answer, a
request held by the network would land in a window the throttle believes free, and be
refused for rate, or push another request over the limit.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from tradeburst.brokers import OrderState
from tradeburst.engine._dispatch_terms import DispatchOptions
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._reconcile import UNDECIDED_MESSAGE, match_records
from tradeburst.engine._throttle import Slots
from tradeburst.engine.journal import JournalStore

__all__ = ["NOT_YET_MESSAGE", "NOT_YET_PAUSE_S", "Sorted", "Unknowns", "backoff_s"]

log = logging.getLogger(__name__)

MIN_RECONCILE_PAUSE_S = 0.1
RECONCILE_PAUSE_MAX_S = 5.0
"""A failed reconciliation query is asked again after the grace period, doubling up to this."""
NOT_YET_PAUSE_S = (1.0, 5.0)
"""An order the broker does not have yet is asked about again after a quarter of its wait
so far, within these bounds: most lost answers settle at the first query, and the query
budget (Fubon: 5 a second) is shared with everything else the account does."""
NOT_YET_MESSAGE = "not at the broker yet; its request may still land"


@dataclass(slots=True)
class Sorted:
    """What one query's answer does to the intents it was asked about."""

    found: list[tuple[Intent, OrderState]] = field(default_factory=list)
    """The broker has them, decided: settle each from its record."""
    gone: list[Intent] = field(default_factory=list)
    """The broker does not have them, and no request of theirs can land any more."""


class Unknowns:
    """The dispatch's UNKNOWN intents and the schedule of queries about them."""

    def __init__(self, options: DispatchOptions, journal: JournalStore) -> None:
        self._options = options
        self._journal = journal
        self._waiting: list[Intent] = []
        self._slots: dict[int, Slots] = {}
        """By intent seq: the throttle slots of a lost request that may still land."""
        self.querying = False
        """A query is under way (set when it is decided, not when its task first runs)."""
        self._not_before = 0.0
        """No query before this loop time: a back-off after a failed or undecided one."""
        self._failures = 0

    def __len__(self) -> int:
        return len(self._waiting)

    def adopt(self, intent: Intent) -> None:
        """An intent the run begins with UNKNOWN (a resume's): asked about, never sent
        until the broker is found not to have it."""
        self._waiting.append(intent)

    def start(self, now: float) -> None:
        """The dispatch begins: the adopted intents' reconcile timeouts count from now."""
        grace_s = self._options.grace_s
        for intent in self._waiting:
            intent.lost_at, intent.ask_at = now, now + grace_s
            if intent.message == NOT_YET_MESSAGE:  # a resume has just asked
                intent.ask_at = now + max(grace_s, NOT_YET_PAUSE_S[0])

    def lost(
        self, intents: Iterable[Intent], message: str, now: float, slots: Slots | None = None
    ) -> None:
        """Their request left and no usable answer came; `slots`, its throttle slots, are
        held until it is known to have landed or can land no more."""
        for intent in intents:
            if slots is not None:
                self._slots[intent.seq] = slots
            intent.state = IntentState.UNKNOWN
            intent.lost_at = now
            intent.ask_at = now + self._options.grace_s
            intent.answer_lost = True
            intent.message = message
            self._waiting.append(intent)
            self._journal.record(intent)

    def discard(self, intent: Intent) -> None:
        """Settled some other way (a late answer): no longer asked about."""
        self._leave(intent)

    def due(self, now: float) -> list[Intent]:
        """When any is due to be asked about, every one past its grace (one query answers
        for all); even when stopping, an order whose answer was just lost may not have
        reached the broker yet."""
        if now < self._not_before or self.querying or not self._waiting:
            return []
        if all(i.ask_at > now for i in self._waiting):
            return []
        grace_s = self._options.grace_s
        return [i for i in self._waiting if now - i.lost_at >= grace_s]

    def next_at(self) -> float:
        soonest = min((i.ask_at for i in self._waiting), default=math.inf)
        return max(soonest, self._not_before)

    def give_up(self, intents: Iterable[Intent]) -> None:
        """They stay UNKNOWN, for `resume` to ask about."""
        for intent in intents:
            self._leave(intent)

    def release_all(self) -> None:
        """The dispatch is over: every held slot goes back to the throttle."""
        for slots in self._slots.values():
            slots.release()
        self._slots.clear()

    def query_failed(self, due: list[Intent], now: float, reason: object) -> None:
        log.info("reconciliation query failed (%s); trying again", reason)
        low_s = max(self._options.grace_s, MIN_RECONCILE_PAUSE_S)
        self._not_before = now + backoff_s((low_s, RECONCILE_PAUSE_MAX_S), self._failures)
        self._failures += 1
        for intent in due:
            if now - intent.lost_at > self._options.reconcile_timeout_s:
                self._leave(intent)  # stays UNKNOWN: the user must look

    def sort(
        self,
        due: list[Intent],
        records: list[OrderState],
        *,
        wall_ns: int,
        now: float,
        stopping: bool,
    ) -> Sorted:
        """What the account's orders (`records`, read at `wall_ns`) say of `due`. The
        found and the gone leave the waiting list; when stopping, so do those that may
        still land (they stay UNKNOWN, for `resume`)."""
        self._failures = 0
        still_unknown = [i for i in due if i.state is IntentState.UNKNOWN]
        found, undecided, missing = match_records(still_unknown, records)
        self._ask_again(undecided, now)
        gone = self._too_old_to_land(missing, wall_ns, now)
        for intent in missing if stopping else gone:
            self._leave(intent)
        return Sorted(found=found, gone=gone)

    def _too_old_to_land(self, missing: list[Intent], wall_ns: int, now: float) -> list[Intent]:
        """Of those the broker does not have, the ones whose request can no longer reach
        it. The others are asked about again; the last time just after their request ages
        out, so a request that never arrived waits no longer."""
        gone: list[Intent] = []
        low_s, high_s = NOT_YET_PAUSE_S
        for intent in missing:
            left_s = (intent.may_land_until_ns - wall_ns) / 1e9
            if left_s <= 0:
                gone.append(intent)
                continue
            pause_s = min(max(0.25 * (now - intent.lost_at), self._options.grace_s, low_s), high_s)
            intent.ask_at = now + min(pause_s, left_s + MIN_RECONCILE_PAUSE_S)
            if intent.message != NOT_YET_MESSAGE:
                intent.message = NOT_YET_MESSAGE
                self._journal.record(intent)
        return gone

    def _ask_again(self, undecided: list[Intent], now: float) -> None:
        """The broker holds these with no outcome yet: asked about again after a pause,
        until the reconcile timeout; past it they are left for `resume` to ask about."""
        if not undecided:
            return
        pause_s = max(self._options.grace_s, MIN_RECONCILE_PAUSE_S)
        self._not_before = max(self._not_before, now + pause_s)
        for intent in undecided:
            self._free(intent)  # the broker has it: its request has landed
            intent.message = UNDECIDED_MESSAGE
            intent.ask_at = now + pause_s
            if now - intent.lost_at > self._options.reconcile_timeout_s:
                self._leave(intent)
            self._journal.record(intent)

    def _leave(self, intent: Intent) -> None:
        self._waiting.remove(intent)
        self._free(intent)

    def _free(self, intent: Intent) -> None:
        """Its request has landed or never will: its slots count from now to the window's
        end. One request's intents share its slots, released at the first of them."""
        slots = self._slots.pop(intent.seq, None)
        if slots is not None:
            slots.release()


def backoff_s(bounds: tuple[float, float], streak: int) -> float:
    """The pause after `streak` failures in a row: doubling from the first bound, at most
    the second."""
    low, high = bounds
    return float(min(high, low * 2.0 ** min(streak, 16)))
