"""One order request, from its throttle slots to its settlement: admitted by the throttle
(at once for a throttle of this process, in turn with every other process for a shared
one), counted as sent and journaled as in flight, placed with the broker, and its answer,
or the error that says what became of it, handed to the ledger. Its slots are then
released: counted from its answer, or, with `--release broker-stamp`, from the stamp its
answer says the broker counted it by (`_release_rule`); a lost request's are held by
`_unknowns` until it is known to have landed or can land no more. A refusal of us as such
(`BrokerFatal`) or a lost shared throttle stops the dispatch: nothing more is sent, what
is in flight is settled.
"""

from __future__ import annotations

import logging

from tradeburst.brokers import AnswerLost, BrokerFatal, NotSent, OrderState, RateLimited
from tradeburst.clock import mono_ns
from tradeburst.engine._dispatch_parts import DispatchParts
from tradeburst.engine._intents import Intent
from tradeburst.engine._planner import Request
from tradeburst.engine._reconcile import pair_answers
from tradeburst.engine._release_rule import Release, StampedRelease
from tradeburst.engine._throttle import Slots
from tradeburst.engine._throttle_url import ThrottleLost
from tradeburst.latency import ClockOffset

__all__ = ["RequestSender"]

log = logging.getLogger(__name__)


class RequestSender:
    """Sends one dispatch's requests to its broker through its throttle, and settles them
    in its ledger; `clock`, the broker clock's offset, where it was read."""

    def __init__(self, parts: DispatchParts, clock: ClockOffset | None) -> None:
        self._parts = parts
        broker, throttle = parts.broker, parts.throttle
        self._stamped = (
            StampedRelease(
                broker.capabilities.counted_resolution_ns or 0, _least(clock, throttle.now())
            )
            if parts.options.release is Release.BROKER_STAMP
            else None
        )
        """Release times from the broker's stamps; None: slots count from the answer."""

    async def send(
        self, intents: list[Intent], request: Request, slots: Slots, *, opening: bool
    ) -> None:
        if not await self.admitted(intents, slots):
            return
        sent_ns = mono_ns()
        sent_at = self._parts.throttle.now()
        self.count_sent(intents, sent_ns, opening=opening)
        await self.answered(intents, request, slots, sent_ns, sent_at)

    async def admitted(self, intents: list[Intent], slots: Slots) -> bool:
        """Wait until the throttle admits `slots` (at once unless it is shared); if the
        shared throttle is lost, stop sending and put `intents` back unsent."""
        parts = self._parts
        try:
            await parts.throttle.admit(slots)
            return True
        except ThrottleLost as exc:
            parts.stop.halt(exc)
        except BaseException:
            slots.release()
            parts.ledger.requeue(intents)
            raise
        slots.release()
        parts.ledger.requeue(intents)
        parts.poke()
        return False

    def count_sent(self, intents: list[Intent], sent_ns: int, *, opening: bool) -> None:
        stats = self._parts.stats
        if opening:
            stats.opening_sends_ns.append(sent_ns)
        stats.first_send_ns = stats.first_send_ns or sent_ns
        stats.requests += 1
        stats.sent += len(intents)
        stats.sends.append((sent_ns, len(intents)))
        self._parts.ledger.mark_sent(intents, sent_ns)

    async def answered(
        self, intents: list[Intent], request: Request, slots: Slots, sent_ns: int, sent_at: float
    ) -> None:
        """The answer to a request sent at `sent_ns` (`sent_at` on the throttle's clock),
        awaited and settled."""
        parts = self._parts
        stats, ledger, broker = parts.stats, parts.ledger, parts.broker
        held_while_it_may_land = False
        counted_from: float | None = None  # from a broker stamp, if earlier than the answer
        try:
            if request.batch:
                answers = await broker.place_batch([i.order for i in intents])
            else:
                answers = [await broker.place(intents[0].order)]
            pairs, unnamed = pair_answers(intents, answers)
        except RateLimited as exc:
            ledger.rate_refused(intents, request, str(exc))
        except NotSent as exc:
            ledger.not_placed(intents, str(exc))
        except AnswerLost as exc:
            ledger.lost(intents, str(exc), slots)
            held_while_it_may_land = True
        except BrokerFatal as exc:
            # The broker refuses us as such: send nothing more, settle what is in flight.
            parts.stop.halt(exc)
            ledger.requeue(intents)
        except Exception as exc:  # an answer we cannot read is an answer we do not have
            log.warning("unreadable answer (%s: %s)", type(exc).__name__, exc)
            ledger.lost(intents, f"unreadable answer: {exc}")
        else:
            answered_ns = mono_ns()
            counted_from = self._counted_from(sent_at, answers)
            ledger.answered(pairs, unnamed, request, sent_ns, answered_ns)
        finally:
            # A failed request's end counts too: a run of refused attempts took that long.
            stats.last_settle_ns = max(stats.last_settle_ns, mono_ns())
            if not held_while_it_may_land:
                slots.release(counted_from)
            parts.poke()

    def _counted_from(self, sent_at: float, answers: list[OrderState]) -> float | None:
        """When the answered request's slots count their last window from, by the broker's
        stamp; None: from now (the answer)."""
        if self._stamped is None or not answers:
            return None
        return self._stamped.release_at(sent_at, self._parts.throttle.now(), answers[0].counted_ns)


def _least(clock: ClockOffset | None, now: float) -> int | None:
    """The clock reads' least (broker stamp - send), with the sends on the throttle's clock
    (read as `now`)."""
    if clock is None or clock.send_to_stamp_ns is None:
        return None
    return clock.send_to_stamp_ns - (mono_ns() - round(now * 1e9))
