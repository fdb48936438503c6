"""The query that settles a dispatch's UNKNOWN intents, and what its answer does to them.
`_unknowns.Unknowns` decides when the broker is asked; one query of the account's orders,
under the throttle's query class, then answers for every intent due, each matched by its
`user_def`. What the broker has and has decided settles its intent (found by query). What
it does not have, once its request can land no more, comes back to the queue (counted as
resent, and under the attempt limit); when the dispatch is stopping it is left unsent
instead, for `resume` to ask about once more. A query that fails is asked again later; a
refusal of us as such or a lost shared throttle stops the dispatch, the intents left
UNKNOWN for `resume`.
"""

from __future__ import annotations

import asyncio

from tradeburst.brokers import BrokerFatal
from tradeburst.clock import mono_ns
from tradeburst.engine._dispatch_parts import DispatchParts
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._throttle_url import ThrottleLost
from tradeburst.engine._unknowns import Sorted
from tradeburst.limits import LimitClass

__all__ = ["UnknownsQuery"]


class UnknownsQuery:
    """Asks one dispatch's broker about its due UNKNOWN intents and settles them in its
    ledger."""

    def __init__(self, parts: DispatchParts) -> None:
        self._parts = parts

    async def ask(self, due: list[Intent]) -> None:
        """One query of the account's orders settles every due UNKNOWN it can."""
        loop = asyncio.get_running_loop()
        parts = self._parts
        throttle, unknowns = parts.throttle, parts.ledger.unknowns
        try:
            slots = await throttle.acquire(throttle.charges_for(LimitClass.QUERY))
        except ThrottleLost as exc:
            parts.stop.halt(exc)
            unknowns.give_up(due)
            unknowns.querying = False
            parts.poke()
            return
        try:
            states = await parts.broker.order_results()
        except BrokerFatal as exc:
            parts.stop.halt(exc)
            unknowns.give_up(due)  # they stay UNKNOWN: `resume` asks again
            return
        except Exception as exc:  # whatever failed, ask again later
            unknowns.query_failed(due, loop.time(), exc)
            return
        finally:
            slots.release()
            unknowns.querying = False
            parts.poke()
        answered_ns = mono_ns()
        verdict = unknowns.sort(
            due, states, wall_ns=answered_ns + parts.ledger.wall_offset_ns, now=loop.time(),
            stopping=parts.stop.stopping,
        )  # fmt: skip
        self._settle(verdict, answered_ns)

    def _settle(self, verdict: Sorted, answered_ns: int) -> None:
        """What the broker has settles its intent; what it does not have and can no
        longer land goes back to the queue, or, when stopping, stays unsent for `resume`."""
        parts = self._parts
        stats, ledger = parts.stats, parts.ledger
        for intent, record in verdict.found:
            intent.by_query = True
            stats.found_placed += 1
            ledger.settle(intent, record, answered_ns)
        stats.unknown -= len(verdict.gone)
        if parts.stop.stopping:  # nothing is sent again now: `resume` asks once more
            for intent in verdict.gone:
                intent.state = IntentState.PENDING
                parts.journal.record(intent)
            return
        again = [i for i in verdict.gone if ledger.may_try_again(i, "the broker did not have it")]
        for intent in again:
            intent.aged_out = True
            if intent.answer_lost:  # else only a stopped run's lost last group may hold it
                intent.answer_lost = False
                intent.resent += 1
                stats.resent += 1
        ledger.requeue(again)
