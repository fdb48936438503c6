"""`resume`: finish a run from its journal after a crash or an abort.

Wait out the grace period, ask the broker about every intent the journal does not show
settled, then dispatch what the broker does not have, under the options the run began
with. Nothing is sent twice: an unsettled intent may have left just before the run
stopped, so what the broker lacks is sent only once no request of it can land any more
(`_mark_possible_lives`); until then the dispatcher keeps asking about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tradeburst.brokers import Broker, NotSent
from tradeburst.clock import exchange_datetime
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._orders_file import InputProblem, InvalidInput
from tradeburst.engine._outcome import timing_against
from tradeburst.engine._planner import plan
from tradeburst.engine._reconcile import UNDECIDED_MESSAGE, apply_answer, match_records
from tradeburst.engine._redis_link import RedisLink
from tradeburst.engine._run_terms import (
    FireOptions,
    FireResult,
    Watch,
    dispatch_options,
    with_run_options,
)
from tradeburst.engine._session import reopened_run
from tradeburst.engine._shared_throttle import account_throttle, shared_terms, throttle_link
from tradeburst.engine._throttle_api import AccountThrottle
from tradeburst.engine._unknowns import NOT_YET_MESSAGE
from tradeburst.engine.journal import (
    GROUP_COMMIT_S,
    UNSEEN_S,
    JournalLocation,
    JournalStore,
    RunRecord,
    open_journal,
)
from tradeburst.latency import ClockOffset
from tradeburst.limits import CONNECTION_LIMIT_MARK, PROFILES, LimitClass, LimitProfile

__all__ = ["resume"]

log = logging.getLogger(__name__)

T = TypeVar("T")

CONNECTION_WAIT_S = 60.0
"""How long `resume` waits for the broker to free connections a dead run still holds."""
CONNECTION_RETRY_S = 1.0


async def resume(
    where: JournalLocation | str | os.PathLike[str],
    broker: Broker,
    options: FireOptions,
    *,
    run_id: str | None = None,
    stop: asyncio.Event | None = None,
    watch: Watch | None = None,
) -> FireResult:
    """Finish the run the journal at `where` holds (a file's one run, or `run_id` of a
    shared journal), held by this process alone: settle what the broker has, send what it
    does not (once no request of it can land), and summarize. The journal holds the run's
    orders: a resume takes no others."""
    async with contextlib.AsyncExitStack() as shared:  # the throttle, closed last
        link = await shared.enter_async_context(throttle_link(options.throttle))
        return await _resume(where, run_id, broker, options, stop, watch, shared, link)


async def _resume(
    where: JournalLocation | str | os.PathLike[str],
    run_id: str | None,
    broker: Broker,
    options: FireOptions,
    stop: asyncio.Event | None,
    watch: Watch | None,
    shared: contextlib.AsyncExitStack,
    link: RedisLink | None,
) -> FireResult:
    async with open_journal(where, "work", run_id) as journal:
        snapshot = await journal.snapshot(run_id)
        run, intents = snapshot.run, snapshot.intents
        await _when_freed(broker.connect, stop)
        _refuse_another_account(journal.location, run, broker)
        options = with_run_options(options, run.options)
        profile = PROFILES[options.profile] if options.profile else broker.profile
        throttle = await shared.enter_async_context(
            account_throttle(profile, broker.account, options.headroom_s, link)
        )
        terms = await shared_terms(throttle, dispatch_options(broker, options, profile))
        window_clears_ns = _window_clears_ns(intents, profile, options.headroom_s)
        unsettled = [i for i in intents if not i.state.is_final]
        found = 0
        if unsettled:
            await _mark_possible_lives(journal, run, unsettled, terms.max_request_age_s)
            await asyncio.sleep(options.grace_s)  # a request sent last may be on its way
            found = await _settle_from_broker(broker, throttle, journal, unsettled)
        if any(i.state is IntentState.PENDING for i in intents):
            await _wait_for_window(window_clears_ns)
        to_send = sum(1 for i in intents if not i.state.is_final)
        resumed_ns = time.time_ns()
        session = reopened_run(broker, throttle, journal, run.run_id)
        clock = await _when_freed(lambda: session.warm(terms.concurrency), stop)
        result = await session.dispatch(
            "resume", intents, terms, clock=clock, stop=stop, watch=watch,
            cancel_on_abort=options.cancel_on_abort, thresholds=options.thresholds,
        )  # fmt: skip
        result.summary.orders.found_placed += found
        await session.watch_late_duplicates(result, terms, stop)
        await session.finish(result.dispatch)
    if result.interrupted or result.fatal or result.journal_failure:
        to_send = sum(1 for i in intents if i.sent_ns >= resumed_ns)
    return _with_plan(result, to_send, profile, terms.max_batch, clock)


def _refuse_another_account(where: str, run: RunRecord, broker: Broker) -> None:
    if broker.account != run.account:
        reason = f"journal is for account {run.account}, the broker key is for {broker.account}"
        raise InvalidInput([InputProblem(path=where, line=None, reason=reason)])


def _with_plan(
    result: FireResult, to_send: int, profile: LimitProfile, max_batch: int, clock: ClockOffset
) -> FireResult:
    schedule = plan(to_send, profile, max_batch)
    result.plan, result.profile = schedule, profile
    result.summary.timing = timing_against(result.summary.timing, schedule, clock)
    return result


def _window_clears_ns(intents: list[Intent], profile: LimitProfile, headroom_s: float) -> int:
    """When the stopped run's requests no longer count in the broker's order windows (wall
    ns): its latest send or answer in the journal, plus the longest window. A send the last
    lost group commit held came at most about `GROUP_COMMIT_S` after, hence the margin.
    Sending before then could breach the limit (Shioaji suspends the account for it)."""
    windows = [w.seconds for cls, w in profile.limits.items() if cls is not LimitClass.QUERY]
    last_ns = max((max(i.sent_ns, i.answered_ns) for i in intents), default=0)
    if not windows or not last_ns:
        return 0
    margin_s = headroom_s + 2 * GROUP_COMMIT_S
    return last_ns + int((max(windows) + margin_s) * 1e9)


async def _wait_for_window(clears_ns: int) -> None:
    wait_s = (clears_ns - time.time_ns()) / 1e9
    if wait_s > 0:  # said aloud: a silent pause of up to a window looks like a hang
        log.warning("waiting %.2f s for the stopped run's last sends to leave the broker's "
                    "rate window", wait_s)  # fmt: skip
        await asyncio.sleep(wait_s)


async def _mark_possible_lives(
    journal: JournalStore, run: RunRecord, unsettled: list[Intent], age_s: float
) -> None:
    """Until when a request of each unsettled intent may still reach the broker. A run
    that ended cleanly left a complete journal: what it shows in flight or unknown left at
    its send stamp, and what it shows pending never left (or was refused whole). A run
    that died may have sent any of them in its last moments, which the group commit it
    lost would have recorded: at its last sign of life, at the latest."""
    age_ns = int(age_s * 1e9)
    if run.finished_ns is not None:
        for intent in unsettled:
            if intent.state in (IntentState.IN_FLIGHT, IntentState.UNKNOWN):
                intent.may_land_until_ns = intent.sent_ns + age_ns
        return
    last_life_ns = max(
        await journal.last_sign_of_life_ns(run.run_id, time.time_ns()), journal.last_write_ns
    )
    unseen_ns = int(UNSEEN_S * 1e9)
    for intent in unsettled:
        intent.may_land_until_ns = last_life_ns + unseen_ns + age_ns


async def _settle_from_broker(
    broker: Broker, throttle: AccountThrottle, journal: JournalStore, unsettled: list[Intent]
) -> int:
    """Settle what the broker has of `unsettled`; say how many it has. What it lacks goes
    back to the queue if no request of it can land any more, and otherwise stays UNKNOWN,
    for the dispatcher to ask about until then."""
    slots = await throttle.acquire(throttle.charges_for(LimitClass.QUERY))
    try:
        states = await broker.order_results()
    finally:
        slots.release()
    matched = match_records(unsettled, states)
    now_ns = time.time_ns()
    for intent, record in matched.decided:
        intent.by_query = True
        apply_answer(intent, record, now_ns)
    for intent in matched.undecided:  # the dispatcher asks about these again
        intent.state, intent.message = IntentState.UNKNOWN, UNDECIDED_MESSAGE
    for intent in matched.missing:
        intent.answer_lost = intent.state in (IntentState.IN_FLIGHT, IntentState.UNKNOWN)
        if now_ns < intent.may_land_until_ns:
            intent.state, intent.message = IntentState.UNKNOWN, NOT_YET_MESSAGE
            continue
        if intent.answer_lost:
            intent.resent += 1  # it left, and never arrived: it goes again
        intent.state = IntentState.PENDING
    _say_who_waits([i for i in matched.missing if i.state is IntentState.UNKNOWN])
    for intent in unsettled:
        journal.record(intent)
    await journal.flush()
    return len(matched.decided) + len(matched.undecided)


def _say_who_waits(waiting: list[Intent]) -> None:
    if waiting:
        until_ns = max(i.may_land_until_ns for i in waiting)
        log.warning(
            "%d orders of the stopped run are not at the broker, but a request of theirs "
            "may still land until %s: they are asked about until then, and sent only if "
            "still missing",
            len(waiting),
            exchange_datetime(until_ns).strftime("%H:%M:%S"),
        )


async def _when_freed(attempt: Callable[[], Awaitable[T]], stop: asyncio.Event | None) -> T:
    """`attempt()`; while the broker refuses it for its connection limit (a dead run's
    sockets may still count), wait and try again, up to `CONNECTION_WAIT_S`."""
    deadline = time.monotonic() + CONNECTION_WAIT_S
    told = False
    while True:
        try:
            return await attempt()
        except NotSent as exc:
            if CONNECTION_LIMIT_MARK not in str(exc) or time.monotonic() >= deadline:
                raise
            if stop is not None and stop.is_set():
                raise
            if not told:
                log.warning(
                    "the broker still counts the stopped run's connections (%s); waiting "
                    "for it to free them",
                    exc,
                )
                told = True
            await asyncio.sleep(CONNECTION_RETRY_S)
