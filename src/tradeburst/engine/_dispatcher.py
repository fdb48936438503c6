"""The dispatcher: sends a run's pending intents through the throttle to the broker, and
settles each one exactly once.

One loop decides; each request runs as its own task. The loop sends the planner's next
request whenever the throttle and the connection budget allow, and otherwise sleeps until
a slot frees or an answer comes. Outcomes:

- an answer: accepted or rejected, final (a rejection for rate is not a rejection: the
  order was not placed and goes back to the queue);
- `RateLimited`: nothing placed; back to the front of the queue, and the class backs off;
- `NotSent`: nothing placed; back to the front of the queue, after a short back-off;
- `AnswerLost`: UNKNOWN. Never resent blindly: `_unknowns.Unknowns` schedules the queries
  of the account's orders that settle them by `user_def`; what the broker does not have
  may still be on its way, so only once its request is older than the request age, and
  the broker still lacks it, does it come back to the queue (and count as resent).

An answered request's slots count their last window from its answer, or, with
`--release broker-stamp`, from the stamp its answer says the broker counted it by
(`_release_rule`); a lost request's are held by `_unknowns` until it is found.

Slots are admitted before their request goes (`AccountThrottle.admit`): at once for a
throttle of this process, in turn with every other process for a shared one; a rush admits
its opening requests ahead of the target. A shared throttle lost mid-run stops sending
like a fatal refusal: what is in flight is settled, nothing more goes.

Manual pacing, the chunked pacing Taiwan quants use by hand (chunks of N single orders, a
fixed delay between chunks), is a mode of the same loop, still under the throttle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Coroutine, Iterable
from typing import Any

from tradeburst.brokers import (
    AnswerLost,
    Broker,
    BrokerFatal,
    NotSent,
    OrderState,
    RateLimited,
)
from tradeburst.clock import mono_ns, wall_ns
from tradeburst.engine._collector import OffUntilReleased
from tradeburst.engine._dispatch_terms import DispatchOptions, DispatchStats
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._opening_burst import write_opening
from tradeburst.engine._planner import Request, next_ready_at, next_request
from tradeburst.engine._priority import RaisedWindow
from tradeburst.engine._reconcile import apply_answer, pair_answers, refused_for_rate
from tradeburst.engine._release_rule import Release, StampedRelease
from tradeburst.engine._start import wait_until
from tradeburst.engine._throttle import Slots
from tradeburst.engine._throttle_api import AccountThrottle
from tradeburst.engine._throttle_url import ThrottleLost
from tradeburst.engine._unknowns import Unknowns, backoff_s
from tradeburst.engine.journal import HEARTBEAT_S, JournalError, JournalStore
from tradeburst.latency import ClockOffset
from tradeburst.limits import RATE_LIMIT_MESSAGE, LimitClass, LimitProfile

__all__ = ["Dispatcher"]

log = logging.getLogger(__name__)

OPENING_LEAD_NS = 50_000_000
"""A rush's opening requests are taken from the throttle this long before the target
(holding a slot early only makes the throttle stricter)."""
PRIORITY_LEAD_NS = 200_000_000
"""The loop's thread is raised this long before a rush's target: asleep, it costs nothing,
and a wake-up at normal priority can be tens of ms late on a machine busy with other work."""
OPENING_SENDS_CAP_S = 0.1
"""How long after the target the opening may keep raised priority at most."""
RATE_BACKOFF_S = (0.05, 1.0)
"""First and largest back-off after a rate-limit refusal; it doubles in between."""
NOT_SENT_BACKOFF_S = (0.02, 2.0)


class Dispatcher:
    def __init__(
        self,
        broker: Broker,
        throttle: AccountThrottle,
        journal: JournalStore,
        intents: Iterable[Intent],
        options: DispatchOptions,
        *,
        run_id: str = "",
        clock: ClockOffset | None = None,
    ) -> None:
        self.run_id = run_id
        """The run these intents are of, for the user to see (and resume by)."""
        self._broker = broker
        self._throttle = throttle
        self._journal = journal
        self._options = options
        self.intents = list(intents)
        self.stats = DispatchStats(total=len(self.intents))
        self._pending: deque[Intent] = deque()
        self._unknowns = Unknowns(options, journal)
        self._stamped = (
            StampedRelease(
                broker.capabilities.counted_resolution_ns or 0, _least(clock, throttle.now())
            )
            if options.release is Release.BROKER_STAMP
            else None
        )
        """Release times from the broker's stamps; None: slots count from the answer."""
        for intent in self.intents:
            if intent.state is IntentState.ACCEPTED:
                self.stats.accepted += 1
            elif intent.state is IntentState.REJECTED:
                self.stats.rejected += 1
            elif intent.state is IntentState.UNKNOWN:  # the broker holds it: ask, never send
                self._unknowns.adopt(intent)
                self.stats.unknown += 1
            else:
                intent.state = IntentState.PENDING
                self._pending.append(intent)
        self._tasks: set[asyncio.Task[None]] = set()
        self._wakeup: asyncio.Future[None] | None = None
        self._stopping = False
        self._fatal: BrokerFatal | ThrottleLost | None = None
        self._journal_failure: JournalError | None = None
        self._failures: dict[int, int] = {}
        """Per intent (by seq), this run's sends that placed nothing or went unanswered and
        were not found: the attempt limit counts these, not rate refusals or past runs."""
        self._not_sent_streak = 0
        self._rate_streak = 0
        self._hold_until = 0.0
        """No request before this loop time: a back-off after a refusal."""
        self._chunk_left = options.pacing.chunk_size if options.pacing else 0
        self._paced_until = 0.0
        self._wall_offset_ns = wall_ns() - mono_ns()
        self._max_age_ns = int(options.max_request_age_s * 1e9)
        self._throttled_since_ns = 0
        """Monotonic ns since when the head of the queue has waited for the throttle."""
        self._heartbeat_at = 0.0
        self._opening = True
        self._collector = OffUntilReleased()
        self.in_opening = False
        """True from just before a rush's target until its opening requests are out: a
        live view keeps still then, so as not to take the CPU from them."""

    def to_wall_ns(self, monotonic_ns: int) -> int:
        """The wall-clock ns of a monotonic stamp, by this run's one reading of both."""
        return monotonic_ns + self._wall_offset_ns

    # -- control --------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop sending (Ctrl-C): what is in flight is still answered and settled."""
        self._stopping = True
        self._poke()

    @property
    def journal_location(self) -> str:
        return self._journal.location

    @property
    def journal_failure(self) -> JournalError | None:
        """Why the journal could not be written, if it could not: sending stopped there,
        for an order the journal does not keep is a promise broken."""
        return self._journal_failure

    def _journal_failed(self, failure: JournalError) -> None:
        if self._journal_failure is None:
            log.error("%s: sending stopped", failure)
        self._journal_failure = failure
        self.stop()

    @property
    def fatal(self) -> BrokerFatal | ThrottleLost | None:
        """Why sending stopped early, if it did: the broker refused us outright, or the
        shared throttle was lost."""
        return self._fatal

    @property
    def stop_reason(self) -> str | None:
        """`fatal` as a user reads it."""
        if self._fatal is None:
            return None
        if isinstance(self._fatal, ThrottleLost):
            return str(self._fatal)
        return f"the broker refused us: {self._fatal}"

    @property
    def profile(self) -> LimitProfile:
        return self._throttle.profile

    @property
    def max_batch(self) -> int:
        return 1 if self._options.pacing else self._options.max_batch

    @property
    def unsettled(self) -> list[Intent]:
        return [i for i in self.intents if not i.state.is_final]

    async def run(self) -> None:
        stop_listening = self._journal.on_failure(self._journal_failed)
        try:
            # No collection between the last moment of the wait and the opening sends.
            self._collector.hold()
            start_at_ns = self._options.start_at_ns
            due_ns = mono_ns() if start_at_ns is None else start_at_ns
            for intent in self._pending:
                intent.queued_ns = self.to_wall_ns(due_ns)
            self._unknowns.start(asyncio.get_running_loop().time())
            cpu_started_ns = time.process_time_ns()
            if start_at_ns is not None and not self._stopping:
                await self._open_at(start_at_ns)
            else:
                self.stats.started_ns = mono_ns()
            await self._loop()
            self.stats.cpu_ns = time.process_time_ns() - cpu_started_ns
        finally:
            self._collector.release()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._unknowns.release_all()
            stop_listening()
            with contextlib.suppress(JournalError):  # kept in `journal_failure`
                await self._journal.flush()

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        options = self._options
        while True:
            now = loop.time()
            if self._stopping:
                if not self._tasks and not self._unknowns:
                    return
            elif not self._pending and not self._tasks and not self._unknowns:
                return
            if now >= self._heartbeat_at:  # so a resume can bound when we last sent
                self._journal.note_alive(self.to_wall_ns(mono_ns()))
                self._heartbeat_at = now + HEARTBEAT_S
            wake = self._heartbeat_at
            if not self._stopping and self._pending and len(self._tasks) < options.concurrency:
                ready = self._send_ready(now)
                if ready:
                    continue
                wake = self._next_send_at(now)
            if self._unknowns and not self._unknowns.querying:
                due = self._unknowns.due(now)
                if due:
                    self._unknowns.querying = True  # now, not when the task first runs
                    self._spawn(self._reconcile(due))
                    continue
                wake = min(wake, self._unknowns.next_at())
            await self._sleep_until(wake)

    async def _sleep_until(self, wake: float) -> None:
        """Sleep until loop time `wake` or a poke, whichever comes first. A bare future and
        a timer: this runs once per request, so no task per wait."""
        loop = asyncio.get_running_loop()
        if self._opening:  # the opening sends are out: collections may run again
            self._opening = False
            self._collector.release()
        self._wakeup = wakeup = loop.create_future()
        timer = loop.call_at(wake, self._poke) if math.isfinite(wake) else None
        try:
            await wakeup
        finally:
            self._wakeup = None
            if timer is not None:
                timer.cancel()

    def _poke(self) -> None:
        """Something changed (an answer, a task ended, a stop): the loop must look again."""
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    # -- sending --------------------------------------------------------------------------

    async def _open_at(self, start_at_ns: int) -> None:
        """A rush's opening: every request the budget allows at the target is taken ahead,
        and built whole by the broker. From `PRIORITY_LEAD_NS` before the target until the
        opening is out the loop's thread runs at raised priority (`_priority`). At the
        target the built requests leave back to back (`_opening_burst`); those the broker
        could not build ahead follow one at a time, each given the loop until its bytes are
        out (where the broker builds them at the target, as Python 3.11's aiohttp does,
        each would otherwise queue behind every other one's preparation)."""
        await wait_until(start_at_ns - PRIORITY_LEAD_NS, spin_s=0.0)
        window = RaisedWindow(PRIORITY_LEAD_NS / 1e9 + self._options.spin_s + OPENING_SENDS_CAP_S)
        window.enter()
        self.stats.opening_priority = window.outcome
        try:
            # Raised, a sleep wakes on time however busy the machine is.
            await wait_until(start_at_ns - OPENING_LEAD_NS, spin_s=0.0)
            self.in_opening = True
            await self._open_raised(start_at_ns)
        finally:
            window.leave()
            self._broker.end_opening()
        self._opening = self.in_opening = False
        self._collector.release()

    async def _open_raised(self, start_at_ns: int) -> None:
        opening: list[tuple[list[Intent], Request, Slots]] = []
        while len(opening) < self._options.concurrency and (taken := self._take_request()):
            opening.append(taken)
        opening = [taken for taken in opening if await self._admitted(taken[0], taken[2])]
        # Built whole now, so that at the target each only has to be written.
        await self._broker.prepare_opening(
            [([i.order for i in intents], request.batch) for intents, request, _ in opening]
        )
        await wait_until(start_at_ns, spin_s=self._options.spin_s)
        self.stats.started_ns = mono_ns()
        if self._stopping:  # Ctrl-C during the wait: nothing goes
            for intents, _, slots in reversed(opening):
                slots.release()
                self._requeue(intents)
            return
        burst = write_opening(self._broker, opening, self._throttle.now)
        for (intents, request, slots), sent_ns, sent_at in burst.written:
            self._count_sent(intents, sent_ns, opening=True)
            self._spawn(self._answered(intents, request, slots, sent_ns, sent_at))
        for intents, request, slots in burst.unwritten:
            if self._stopping:  # Ctrl-C during the opening: the rest stays unsent
                slots.release()
                self._requeue(intents)
                continue
            self._spawn(self._send(intents, request, slots, opening=True))
            await asyncio.sleep(0)  # the task stamps and builds its request…
            await asyncio.sleep(0)  # …and its body is written

    def _take_request(self) -> tuple[list[Intent], Request, Slots] | None:
        """The next request the throttle lets go now, with its intents and slots."""
        max_batch = 1 if self._options.pacing else self._options.max_batch
        request = next_request(self._throttle, len(self._pending), max_batch)
        slots = self._throttle.try_take(request.charges) if request is not None else None
        if request is None or slots is None:
            if self._pending:  # the head waits for the throttle (not: nothing to send)
                self._throttled_since_ns = self._throttled_since_ns or mono_ns()
            return None
        intents = [self._pending.popleft() for _ in range(request.size)]
        if self._throttled_since_ns:
            throttle_wait_ns = mono_ns() - self._throttled_since_ns
            self._throttled_since_ns = 0
            for intent in intents:
                intent.throttle_wait_ns = throttle_wait_ns
        return intents, request, slots

    def _send_ready(self, now: float) -> bool:
        """Send one request if one may go now; say whether one went."""
        options = self._options
        if now < self._hold_until or now < self._paced_until:
            return False
        taken = self._take_request()
        if taken is None:
            return False
        intents, request, slots = taken
        self._spawn(self._send(intents, request, slots, opening=self._opening))
        if options.pacing is not None:
            self._chunk_left -= 1
            if self._chunk_left <= 0:  # a chunk is out: the next waits the delay
                self._chunk_left = options.pacing.chunk_size
                self._paced_until = now + options.pacing.delay_s
        return True

    def _next_send_at(self, now: float) -> float:
        max_batch = 1 if self._options.pacing else self._options.max_batch
        return max(
            next_ready_at(self._throttle, len(self._pending), max_batch),
            self._hold_until,
            self._paced_until,
        )

    async def _send(
        self, intents: list[Intent], request: Request, slots: Slots, *, opening: bool
    ) -> None:
        if not await self._admitted(intents, slots):
            return
        sent_ns = mono_ns()
        sent_at = self._throttle.now()
        self._count_sent(intents, sent_ns, opening=opening)
        await self._answered(intents, request, slots, sent_ns, sent_at)

    def _count_sent(self, intents: list[Intent], sent_ns: int, *, opening: bool) -> None:
        stats = self.stats
        if opening:
            stats.opening_sends_ns.append(sent_ns)
        stats.first_send_ns = stats.first_send_ns or sent_ns
        stats.requests += 1
        stats.sent += len(intents)
        stats.sends.append((sent_ns, len(intents)))
        self._mark_sent(intents, sent_ns)

    async def _answered(
        self, intents: list[Intent], request: Request, slots: Slots, sent_ns: int, sent_at: float
    ) -> None:
        """The answer to a request sent at `sent_ns` (`sent_at` on the throttle's clock),
        awaited and settled."""
        stats = self.stats
        held_while_it_may_land = False
        counted_from: float | None = None  # from a broker stamp, if earlier than the answer
        try:
            if request.batch:
                answers = await self._broker.place_batch([i.order for i in intents])
            else:
                answers = [await self._broker.place(intents[0].order)]
            pairs, unnamed = pair_answers(intents, answers)
        except RateLimited as exc:
            self._rate_refused(intents, request, str(exc))
        except NotSent as exc:
            self._not_placed(intents, str(exc))
        except AnswerLost as exc:
            self._lost(intents, str(exc), slots)
            held_while_it_may_land = True
        except BrokerFatal as exc:
            # The broker refuses us as such: send nothing more, settle what is in flight.
            self._fatal = exc
            self._stopping = True
            self._requeue(intents)
        except Exception as exc:  # an answer we cannot read is an answer we do not have
            log.warning("unreadable answer (%s: %s)", type(exc).__name__, exc)
            self._lost(intents, f"unreadable answer: {exc}")
        else:
            answered_ns = mono_ns()
            counted_from = self._counted_from(sent_at, answers)
            refused: list[Intent] = []
            for intent, answer in pairs:
                if refused_for_rate(answer):
                    refused.append(intent)
                    continue
                stats.latencies_ns.append(answered_ns - sent_ns)
                self._settle(intent, answer, answered_ns)
            if unnamed:  # answered, but not about these: only a query can tell
                self._lost(unnamed, "the answer did not name them")
            if refused:
                self._rate_refused(refused, request, RATE_LIMIT_MESSAGE)
            else:
                self._rate_streak = 0
            self._not_sent_streak = 0
        finally:
            # A failed request's end counts too: a run of refused attempts took that long.
            stats.last_settle_ns = max(stats.last_settle_ns, mono_ns())
            if not held_while_it_may_land:
                slots.release(counted_from)
            self._poke()

    def _mark_sent(self, intents: list[Intent], sent_ns: int) -> None:
        """In flight from `sent_ns`, journaled: a resume must know they may have left."""
        wall_ns = sent_ns + self._wall_offset_ns
        for intent in intents:
            intent.state = IntentState.IN_FLIGHT
            intent.attempts += 1
            intent.sent_ns = wall_ns
            intent.may_land_until_ns = wall_ns + self._max_age_ns
            if intent.aged_out:
                self.stats.last_resend_wall_ns = wall_ns
            self._journal.record(intent)

    def _counted_from(self, sent_at: float, answers: list[OrderState]) -> float | None:
        """When the answered request's slots count their last window from, by the broker's
        stamp; None: from now (the answer)."""
        if self._stamped is None or not answers:
            return None
        return self._stamped.release_at(sent_at, self._throttle.now(), answers[0].counted_ns)

    async def _admitted(self, intents: list[Intent], slots: Slots) -> bool:
        """Wait until the throttle admits `slots` (at once unless it is shared); if the
        shared throttle is lost, stop sending and put `intents` back unsent."""
        try:
            await self._throttle.admit(slots)
            return True
        except ThrottleLost as exc:
            self._fatal = self._fatal or exc
            self._stopping = True
        except BaseException:
            slots.release()
            self._requeue(intents)
            raise
        slots.release()
        self._requeue(intents)
        self._poke()
        return False

    def _settle(self, intent: Intent, answer: OrderState, answered_ns: int) -> None:
        if intent.state is IntentState.UNKNOWN:
            self._unknowns.discard(intent)
            self.stats.unknown -= 1
        apply_answer(intent, answer, answered_ns + self._wall_offset_ns)
        if answer.accepted:
            self.stats.accepted += 1
        else:
            self.stats.rejected += 1
        self.stats.last_settle_ns = answered_ns
        self._journal.record(intent)

    def _requeue(self, intents: list[Intent]) -> None:
        if not self._pending:  # a new head: its wait for the throttle starts afresh
            self._throttled_since_ns = 0
        queued_ns = self.to_wall_ns(mono_ns())
        for intent in reversed(intents):
            intent.state = IntentState.PENDING
            intent.queued_ns = queued_ns
            intent.throttle_wait_ns = 0
            self._pending.appendleft(intent)
            self._journal.record(intent)

    def _rate_refused(self, intents: list[Intent], request: Request, message: str) -> None:
        self.stats.rate_limit_rejections += 1
        pause_s = backoff_s(RATE_BACKOFF_S, self._rate_streak)
        self._rate_streak += 1
        # Held here too: the broker may limit a class our profile does not know of.
        self._hold_until = max(self._hold_until, asyncio.get_running_loop().time() + pause_s)
        # The live view and the summary count these; a line each would bury the screen.
        log.info("rate limit refusal (%s); backing off %.0f ms", message, pause_s * 1000)
        for charge in request.charges:
            self._throttle.penalize(charge.limit_class, pause_s)
        self._requeue(intents)

    def _not_placed(self, intents: list[Intent], message: str) -> None:
        self._hold_until = max(
            self._hold_until,
            asyncio.get_running_loop().time()
            + backoff_s(NOT_SENT_BACKOFF_S, self._not_sent_streak),
        )
        self._not_sent_streak += 1
        log.info("not placed (%s); sending again", message)
        intents = [i for i in intents if self._may_try_again(i, message)]
        self._requeue(intents)

    def _may_try_again(self, intent: Intent, message: str) -> bool:
        """Count a failed try; past the attempt limit the intent is left unsent."""
        intent.message = message
        tries = self._failures[intent.seq] = self._failures.get(intent.seq, 0) + 1
        if tries < self._options.max_attempts:
            return True
        intent.state = IntentState.PENDING
        self.stats.not_sent += 1
        self._journal.record(intent)
        return False

    def _lost(self, intents: list[Intent], message: str, slots: Slots | None = None) -> None:
        log.info("answer lost (%s) for %d orders; will ask the broker", message, len(intents))
        self._unknowns.lost(intents, message, asyncio.get_running_loop().time(), slots)
        self.stats.unknown += len(intents)

    # -- reconciling ----------------------------------------------------------------------

    async def _reconcile(self, due: list[Intent]) -> None:
        """One query of the account's orders settles every due UNKNOWN it can."""
        loop = asyncio.get_running_loop()
        try:
            slots = await self._throttle.acquire(self._throttle.charges_for(LimitClass.QUERY))
        except ThrottleLost as exc:
            self._fatal = self._fatal or exc
            self._stopping = True
            self._unknowns.give_up(due)
            self._unknowns.querying = False
            self._poke()
            return
        try:
            states = await self._broker.order_results()
        except BrokerFatal as exc:
            self._fatal = exc
            self._stopping = True
            self._unknowns.give_up(due)  # they stay UNKNOWN: `resume` asks again
            return
        except Exception as exc:  # whatever failed, ask again later
            self._unknowns.query_failed(due, loop.time(), exc)
            return
        finally:
            slots.release()
            self._unknowns.querying = False
            self._poke()
        answered_ns = mono_ns()
        verdict = self._unknowns.sort(
            due, states, wall_ns=self.to_wall_ns(answered_ns), now=loop.time(),
            stopping=self._stopping,
        )  # fmt: skip
        for intent, record in verdict.found:
            intent.by_query = True
            self.stats.found_placed += 1
            self._settle(intent, record, answered_ns)
        self.stats.unknown -= len(verdict.gone)
        if self._stopping:  # nothing is sent again now: `resume` asks once more
            for intent in verdict.gone:
                intent.state = IntentState.PENDING
                self._journal.record(intent)
            return
        again = [i for i in verdict.gone if self._may_try_again(i, "the broker did not have it")]
        for intent in again:
            intent.aged_out = True
            if intent.answer_lost:  # else only a stopped run's lost last group may hold it
                intent.answer_lost = False
                intent.resent += 1
                self.stats.resent += 1
        self._requeue(again)

    # -- tasks ----------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        # The loop counts tasks in flight, so it must look again once one is gone.
        self._tasks.discard(task)
        self._poke()


def _least(clock: ClockOffset | None, now: float) -> int | None:
    """The clock reads' least (broker stamp - send), with the sends on the throttle's clock
    (read as `now`)."""
    if clock is None or clock.send_to_stamp_ns is None:
        return None
    return clock.send_to_stamp_ns - (mono_ns() - round(now * 1e9))
