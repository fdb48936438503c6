"""The dispatcher: sends a run's pending intents through the throttle to the broker, and
settles each one exactly once. It owns the dispatch's one loop, which decides; each request
runs as its own task. The loop sends the planner's next request whenever the throttle, the
connection budget and any back-off allow, and otherwise sleeps until a slot frees or an
answer comes; it asks the broker about the UNKNOWN intents when they are due, and beats the
journal's heartbeat. Manual pacing, the chunked pacing Taiwan quants use by hand (chunks of
N single orders, a fixed delay between chunks), is a mode of the same loop, still under the
throttle. Its parts: the intents' queue and what each outcome does to them
(`_intent_ledger`), one request sent and settled (`_request_sender`), the queries that
settle the UNKNOWN (`_unknowns_query`), a rush's opening (`_rush_opening`), and why
sending stops (`_dispatch_stop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Coroutine, Iterable
from typing import Any

from tradeburst.brokers import Broker, BrokerFatal
from tradeburst.clock import mono_ns
from tradeburst.engine._collector import OffUntilReleased
from tradeburst.engine._dispatch_parts import DispatchParts
from tradeburst.engine._dispatch_stop import DispatchStop
from tradeburst.engine._dispatch_terms import DispatchOptions, DispatchStats
from tradeburst.engine._intent_ledger import IntentLedger
from tradeburst.engine._intents import Intent
from tradeburst.engine._planner import next_ready_at
from tradeburst.engine._request_sender import RequestSender
from tradeburst.engine._rush_opening import RushOpening
from tradeburst.engine._throttle_api import AccountThrottle
from tradeburst.engine._throttle_url import ThrottleLost
from tradeburst.engine._unknowns_query import UnknownsQuery
from tradeburst.engine.journal import HEARTBEAT_S, JournalError, JournalStore
from tradeburst.latency import ClockOffset
from tradeburst.limits import LimitProfile

__all__ = ["Dispatcher"]


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
        self._throttle = throttle
        self._journal = journal
        self._options = options
        self.intents = list(intents)
        self.stats = DispatchStats(total=len(self.intents))
        self._stop_state = DispatchStop()
        self._ledger = ledger = IntentLedger(self.intents, options, self.stats, journal, throttle)
        self._pending = ledger.pending
        self._unknowns = ledger.unknowns
        parts = DispatchParts(
            broker=broker, throttle=throttle, options=options, stats=self.stats, journal=journal,
            ledger=ledger, stop=self._stop_state, poke=self._poke,
        )  # fmt: skip
        self._sender = sender = RequestSender(parts, clock)
        self._query = UnknownsQuery(parts)
        self._rush = RushOpening(parts, sender, self._spawn)
        self._tasks: set[asyncio.Task[None]] = set()
        self._wakeup: asyncio.Future[None] | None = None
        self._chunk_left = options.pacing.chunk_size if options.pacing else 0
        self._paced_until = 0.0
        self._heartbeat_at = 0.0
        self._opening = True
        self._collector = OffUntilReleased()

    @property
    def in_opening(self) -> bool:
        """True from just before a rush's target until its opening requests are out: a
        live view keeps still then, so as not to take the CPU from them."""
        return self._rush.under_way

    def to_wall_ns(self, monotonic_ns: int) -> int:
        """The wall-clock ns of a monotonic stamp, by this run's one reading of both."""
        return monotonic_ns + self._ledger.wall_offset_ns

    # -- control --------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop sending (Ctrl-C): what is in flight is still answered and settled."""
        self._stop_state.stopping = True
        self._poke()

    @property
    def journal_location(self) -> str:
        return self._journal.location

    @property
    def journal_failure(self) -> JournalError | None:
        """Why the journal could not be written, if it could not: sending stopped there,
        for an order the journal does not keep is a promise broken."""
        return self._stop_state.journal_failure

    def _journal_failed(self, failure: JournalError) -> None:
        self._stop_state.journal_failed(failure)
        self._poke()

    @property
    def fatal(self) -> BrokerFatal | ThrottleLost | None:
        """Why sending stopped early, if it did: the broker refused us outright, or the
        shared throttle was lost."""
        return self._stop_state.fatal

    @property
    def stop_reason(self) -> str | None:
        """`fatal` as a user reads it."""
        return self._stop_state.reason

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
            if start_at_ns is not None and not self._stop_state.stopping:
                await self._rush.open_at(start_at_ns)
                self._opening = False
                self._collector.release()
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
        options, stop = self._options, self._stop_state
        while True:
            now = loop.time()
            if stop.stopping:
                if not self._tasks and not self._unknowns:
                    return
            elif not self._pending and not self._tasks and not self._unknowns:
                return
            if now >= self._heartbeat_at:  # so a resume can bound when we last sent
                self._journal.note_alive(self.to_wall_ns(mono_ns()))
                self._heartbeat_at = now + HEARTBEAT_S
            wake = self._heartbeat_at
            if not stop.stopping and self._pending and len(self._tasks) < options.concurrency:
                ready = self._send_ready(now)
                if ready:
                    continue
                wake = self._next_send_at(now)
            if self._unknowns and not self._unknowns.querying:
                due = self._unknowns.due(now)
                if due:
                    self._unknowns.querying = True  # now, not when the task first runs
                    self._spawn(self._query.ask(due))
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

    def _send_ready(self, now: float) -> bool:
        """Send one request if one may go now; say whether one went."""
        options = self._options
        if now < self._ledger.hold_until or now < self._paced_until:
            return False
        taken = self._ledger.take_request()
        if taken is None:
            return False
        intents, request, slots = taken
        self._spawn(self._sender.send(intents, request, slots, opening=self._opening))
        if options.pacing is not None:
            self._chunk_left -= 1
            if self._chunk_left <= 0:  # a chunk is out: the next waits the delay
                self._chunk_left = options.pacing.chunk_size
                self._paced_until = now + options.pacing.delay_s
        return True

    def _next_send_at(self, now: float) -> float:
        return max(
            next_ready_at(self._throttle, len(self._pending), self.max_batch),
            self._ledger.hold_until,
            self._paced_until,
        )

    # -- tasks ----------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        # The loop counts tasks in flight, so it must look again once one is gone.
        self._tasks.discard(task)
        self._poke()
