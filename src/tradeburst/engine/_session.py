"""A run's lifecycle, written once for `fire`, `rush`, `resume` and `run`: a run id the
broker has not seen today, the journal that keeps the run (created durably before the
first byte, or reopened), the broker's clock, each dispatch through a `Dispatcher` (its
record begun before any send and completed after), the late-duplicate watch after a
resend, and at the end the fills kept and the run marked finished.

    async with new_run(broker, throttle, ...) as session:   # or session = reopened_run(...)
        clock = await session.warm(connections)
        result = await session.dispatch("fire", intents, terms, clock=clock, ...)
        await session.watch_late_duplicates(result, terms, stop)
        await session.finish(result.dispatch)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradeburst.brokers import AnswerLost, Broker, BrokerError
from tradeburst.clock import day_ns, exchange_datetime
from tradeburst.engine._collector import frozen_for_the_run
from tradeburst.engine._dispatch_terms import DispatchOptions
from tradeburst.engine._dispatcher import Dispatcher
from tradeburst.engine._ids import new_run_id, run_of
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._late_watch import watch_late_duplicates
from tradeburst.engine._orders_file import InputProblem, InvalidInput
from tradeburst.engine._outcome import summary_of
from tradeburst.engine._planner import Plan
from tradeburst.engine._run_terms import FireResult, Watch
from tradeburst.engine._throttle import Slots
from tradeburst.engine._throttle_api import AccountThrottle
from tradeburst.engine.journal import (
    DispatchRecord,
    JournalLocation,
    JournalStore,
    RunRecord,
    journal_location,
    open_journal,
)
from tradeburst.latency import ClockOffset, estimate_offset
from tradeburst.limits import LimitClass
from tradeburst.summary import LatencyThresholds

__all__ = [
    "DEFAULT_JOURNAL_DIR",
    "RunSession",
    "fresh_run_id",
    "new_run",
    "reopened_run",
    "run_record",
]

log = logging.getLogger(__name__)

DEFAULT_JOURNAL_DIR = Path("journal")
RUN_ID_TRIES = 100
"""Run ids tried against the account's orders of the day before giving up (a collision
is one in 46,656 per run of the same two seconds)."""


@dataclass(slots=True, kw_only=True)
class RunSession:
    """One run on one account, open in its journal."""

    broker: Broker
    throttle: AccountThrottle
    journal: JournalStore
    run_id: str

    @property
    def location(self) -> str:
        """Where the journal is, as shown (a path, or a URL without its password)."""
        return self.journal.location

    async def warm(self, connections: int) -> ClockOffset:
        """Open the connections, then read the broker's clock a few times: its offset
        from ours, and the fastest round trip (the bound's floor, and the wire's share)."""
        await self.broker.warm(connections)
        return await estimate_offset(self.broker.server_time_ns)

    async def begin_dispatch(
        self, command: str, clock: ClockOffset, target_ns: int | None
    ) -> DispatchRecord:
        """Keep a dispatch's clock estimate before anything is sent, so the sends of a
        run killed mid-way are graded by their own clock."""
        begun = DispatchRecord(
            run_id=self.run_id,
            command=command,
            started_ns=time.time_ns(),  # before any send: it covers all of them
            target_ns=target_ns,
            offset_ns=clock.offset_ns,
            rtt_ns=clock.rtt_ns,
            offset_error_ns=clock.error_ns,
            opening_sends_ns=[],
        )
        await self.journal.begin_dispatch(begun)
        return begun

    async def dispatch(
        self,
        command: str,
        intents: list[Intent],
        terms: DispatchOptions,
        *,
        clock: ClockOffset,
        stop: asyncio.Event | None = None,
        watch: Watch | None = None,
        cancel_on_abort: bool = False,
        thresholds: LatencyThresholds | None = None,
    ) -> FireResult:
        """Send `intents` under `terms` and settle each; the result's plan is left for
        the caller, who knows what the run set out to send."""
        dispatcher = Dispatcher(
            self.broker, self.throttle, self.journal, intents, terms, run_id=self.run_id,
            clock=clock,
        )  # fmt: skip
        if watch is not None:
            watch(dispatcher)
        if stop is not None and stop.is_set():  # Ctrl-C came while we were getting ready
            dispatcher.stop()
        start_at_ns = terms.start_at_ns
        target_ns = None if start_at_ns is None else dispatcher.to_wall_ns(start_at_ns)
        begun = await self.begin_dispatch(command, clock, target_ns)
        await _run_until_done(dispatcher, stop)
        interrupted = stop is not None and stop.is_set()
        cancelled = 0
        if interrupted and cancel_on_abort:
            cancelled = await self._cancel_open(intents)
        stats = dispatcher.stats
        started_wall_ns = dispatcher.to_wall_ns(stats.started_ns)
        summary = summary_of(
            command, self.broker.name, self.broker.account, intents, stats,
            since_wall_ns=started_wall_ns, clock=clock,
            thresholds=thresholds or LatencyThresholds(),
        )  # fmt: skip
        summary.run_id, summary.journal = self.run_id, self.location
        record = dataclasses.replace(
            begun,
            started_ns=started_wall_ns,
            opening_sends_ns=[dispatcher.to_wall_ns(s) for s in stats.opening_sends_ns],
            sends=[(dispatcher.to_wall_ns(at), orders) for at, orders in stats.sends],
        )
        return FireResult(
            dispatch=record,
            summary=summary,
            plan=Plan(steps=()),
            profile=self.throttle.profile,
            interrupted=interrupted,
            fatal=dispatcher.stop_reason,
            journal_failure=_text(dispatcher.journal_failure),
            cancelled=cancelled,
            intents=intents,
            journal=self.location,
            run_id=self.run_id,
        )

    async def watch_late_duplicates(
        self, result: FireResult, terms: DispatchOptions, stop: asyncio.Event | None
    ) -> None:
        """After an order was sent again because the broker lacked it, watch the account
        for one request age: the net under the rule."""
        resent_ns = max((i.sent_ns for i in result.intents if i.aged_out), default=0)
        if not resent_ns or result.fatal:
            return
        until_ns = resent_ns + int(terms.max_request_age_s * 1e9)
        if stop is not None and stop.is_set():
            result.watch_until_ns = until_ns
            return
        log.warning(
            "orders were sent again after their first requests aged out: watching the "
            "account for late duplicates until %s",
            exchange_datetime(until_ns).strftime("%H:%M:%S"),
        )
        result.summary.late_duplicates = await watch_late_duplicates(
            self.broker, self.throttle, result.intents, until_ns, stop or asyncio.Event(),
            age_s=terms.max_request_age_s,
        )  # fmt: skip
        if stop is not None and stop.is_set() and time.time_ns() < until_ns:
            result.watch_until_ns = until_ns

    async def finish(self, dispatch: DispatchRecord | None) -> None:
        """The run ended cleanly: its last dispatch's record in full, the fills of its
        orders kept (one query; a failure costs only the record), and the journal marked
        complete. A journal that could not be written is left as it is: `resume` finishes
        the run from what it holds."""
        if self.journal.failure is not None:
            return
        if dispatch is not None:
            await self.journal.record_dispatch(dispatch)
        slots = await self.throttle.acquire(self.throttle.charges_for(LimitClass.QUERY))
        try:
            await self.journal.record_fills(self.run_id, await self.broker.fills())
        except BrokerError as exc:
            log.info("fills not recorded in the journal (%s)", exc)
        finally:
            slots.release()
        await self.journal.finish_run(self.run_id, time.time_ns())

    async def _cancel_open(self, intents: list[Intent]) -> int:
        """Cancel every order of the run that was accepted and may still be working; how
        many the broker cancelled (a filled order's cancel is refused, and not counted)."""
        cancelled = 0
        may_land: list[Slots] = []  # a lost cancel counts at the broker when it lands
        try:
            for intent in intents:
                if intent.state is not IntentState.ACCEPTED or intent.order_no is None:
                    continue
                slots = await self.throttle.acquire(self.throttle.charges_for(LimitClass.ORDER))
                try:
                    answer = await self.broker.cancel(intent.order_no)
                except AnswerLost:
                    may_land.append(slots)
                    continue
                except BrokerError:  # one failed cancel must not stop the others
                    continue
                finally:
                    if not may_land or may_land[-1] is not slots:
                        slots.release()
                cancelled += answer.status.is_cancelled
        finally:
            for slots in may_land:
                slots.release()
        return cancelled


@contextlib.asynccontextmanager
async def new_run(
    broker: Broker,
    throttle: AccountThrottle,
    *,
    journal: JournalLocation | Path | str | None,
    record: Callable[[str], RunRecord],
    intents: Callable[[str], list[Intent]],
) -> AsyncIterator[RunSession]:
    """A new run: a fresh run id, then its journal (`journal`, or a file named by the
    day and the id) holding `record(run_id)` and `intents(run_id)` durably before
    anything is sent."""
    day, run_id = await fresh_run_id(broker, throttle)
    where = journal or DEFAULT_JOURNAL_DIR / f"{day}-{run_id}.sqlite"
    location = where if isinstance(where, JournalLocation) else journal_location(where)
    async with open_journal(location, "create") as store:
        await store.start_run(record(run_id), intents(run_id))
        yield RunSession(broker=broker, throttle=throttle, journal=store, run_id=run_id)


def reopened_run(broker: Broker, throttle: AccountThrottle, journal: JournalStore,
                 run_id: str) -> RunSession:  # fmt: skip
    """The run an open journal holds, to be finished."""
    return RunSession(broker=broker, throttle=throttle, journal=journal, run_id=run_id)


def run_record(broker: Broker, run_id: str, command: str, profile: str, source: str,
               options: dict[str, Any]) -> RunRecord:  # fmt: skip
    """What the journal keeps of a run before anything is sent."""
    return RunRecord(
        run_id=run_id,
        created_ns=time.time_ns(),
        command=command,
        account=broker.account,
        broker=broker.name,
        url=getattr(broker, "url", ""),
        profile=profile,
        source=source,
        options=options,
    )


async def fresh_run_id(broker: Broker, throttle: AccountThrottle) -> tuple[str, str]:
    """A run id no order of the account carries today, and the day (YYYYMMDD)."""
    server_ns = await broker.server_time_ns()
    now, into_day_ns = exchange_datetime(server_ns), day_ns(server_ns)
    slots = await throttle.acquire(throttle.charges_for(LimitClass.QUERY))
    try:
        taken = {run_of(s.user_def) for s in await broker.order_results() if s.user_def}
    finally:
        slots.release()
    # Bounded: with a broken random tail the loop would spin for ever without awaiting,
    # out of reach of any timeout.
    for _ in range(RUN_ID_TRIES):
        run_id = new_run_id(into_day_ns)
        if run_id not in taken:
            return now.strftime("%Y%m%d"), run_id
    reason = f"no unused run id after {RUN_ID_TRIES} tries; try again in two seconds"
    raise InvalidInput([InputProblem(path="run id", line=None, reason=reason)])


def _text(failure: Exception | None) -> str | None:
    return None if failure is None else str(failure)


async def _run_until_done(dispatcher: Dispatcher, stop: asyncio.Event | None) -> None:
    """Run the dispatcher, stopping it when `stop` is set."""
    stopper = asyncio.create_task(_stop_when(stop, dispatcher)) if stop else None
    try:
        with frozen_for_the_run():
            await dispatcher.run()
    finally:
        if stopper is not None:
            stopper.cancel()


async def _stop_when(stop: asyncio.Event, dispatcher: Dispatcher) -> None:
    await stop.wait()
    dispatcher.stop()
