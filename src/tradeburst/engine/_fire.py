"""`fire`, `rush` and `resume`: a whole run, from an orders file (or a journal) to the
summary (a rush's own steps are in `_rush.py`).

fire: read and check every order (nothing is sent if any is wrong), connect, plan, pick a
run id the broker has not seen today, journal the intents durably, warm the connections,
dispatch, and summarize. resume: wait out the grace period, ask the broker about every
intent not settled, then dispatch what it does not have.

Neither sends anything twice: an intent is only ever sent again after the broker said it
does not have it, and only once its request is older than the request age, so it can no
longer land (for `resume`, every unsettled intent may have left at the dead run's last
sign of life). After such a resend, the late-duplicate watch looks at the account for one
request age, the net under that rule.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as time_of_day
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from tradeburst.brokers import Broker, BrokerError, NotSent
from tradeburst.engine._dispatch_terms import (
    DEFAULT_GRACE_S,
    DEFAULT_RECONCILE_TIMEOUT_S,
    DispatchOptions,
    DispatchStats,
    ManualPacing,
)
from tradeburst.engine._dispatcher import NOT_YET_MESSAGE, Dispatcher
from tradeburst.engine._ids import MAX_ORDERS_PER_RUN, RUN_ID_LEN, client_order_id, new_run_id
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._journal import (
    GROUP_COMMIT_S,
    HEARTBEAT_S,
    DispatchRecord,
    Journal,
    RunRecord,
    last_write_ns,
)
from tradeburst.engine._late_watch import watch_late_duplicates
from tradeburst.engine._orders_file import InputProblem, InvalidInput, OrderRow, read_orders
from tradeburst.engine._planner import Plan, plan
from tradeburst.engine._reconcile import UNDECIDED_MESSAGE, apply_answer, match_records
from tradeburst.engine._risk import RiskLimits
from tradeburst.engine._rush import Notify, Receipts, fire_errors, hold, target_of, waiting_text
from tradeburst.engine._throttle import DEFAULT_HEADROOM_S, Throttle
from tradeburst.engine._validation import check_orders
from tradeburst.latency import ClockOffset, estimate_offset, trip_of
from tradeburst.limits import CONNECTION_LIMIT_MARK, PROFILES, LimitClass, LimitProfile
from tradeburst.model import Order
from tradeburst.summary import (
    Classification,
    Latency,
    LatencyThresholds,
    OrderCounts,
    Summary,
    Timing,
)

__all__ = [
    "FireOptions",
    "FireResult",
    "exit_code",
    "fire",
    "fresh_run_id",
    "keep_fills",
    "resume",
    "rush",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

TAIPEI = ZoneInfo("Asia/Taipei")
DEFAULT_JOURNAL_DIR = Path("journal")
CONNECTION_WAIT_S = 60.0
"""How long `resume` waits for the broker to free connections a dead run still holds."""
CONNECTION_RETRY_S = 1.0
RUN_ID_TRIES = 100
"""Run ids tried against the account's orders of the day before giving up (a collision
is one in 46,656 per run of the same two seconds)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FireOptions:
    profile: str | None = None
    """A profile name to throttle by instead of the one the broker declares."""
    journal: Path | None = None
    concurrency: int | None = None
    max_batch: int | None = None
    pacing: ManualPacing | None = None
    risk: RiskLimits = field(default_factory=RiskLimits)
    grace_s: float = DEFAULT_GRACE_S
    reconcile_timeout_s: float = DEFAULT_RECONCILE_TIMEOUT_S
    """How long an order whose answer was lost is asked about before it is left UNKNOWN
    for `resume`."""
    headroom_s: float = DEFAULT_HEADROOM_S
    max_request_age_s: float | None = None
    """How long a request may still reach the broker after it left; None: the profile's."""
    cancel_on_abort: bool = False
    thresholds: LatencyThresholds = field(default_factory=LatencyThresholds)


@dataclass(slots=True, kw_only=True)
class FireResult:
    summary: Summary
    plan: Plan
    profile: LimitProfile
    journal: Path | None = None
    run_id: str | None = None
    interrupted: bool = False
    fatal: str | None = None
    """Why the broker refused us outright mid-run; sending stopped there."""
    dry_run: bool = False
    cancelled: int = 0
    intents: list[Intent] = field(default_factory=list)
    dispatch: DispatchRecord | None = None
    """This run's dispatch, as the journal keeps it."""
    watch_until_ns: int | None = None
    """Wall ns until which the account should be watched for late duplicates, when the
    watch could not run to its end (stopped)."""


def exit_code(result: FireResult) -> int:
    """The exit codes: 130 interrupted, 4 some unsettled or not sent (the broker refused
    us outright, or could not be reached), 3 some rejected or placed twice (a late
    duplicate), else 0."""
    orders = result.summary.orders
    if result.interrupted:
        return 130
    if result.fatal:
        return 4
    if orders.unknown or orders.not_sent:
        return 4
    if orders.rejected or result.summary.late_duplicates:
        return 3
    return 0


Watch = Callable[[Dispatcher], None]
"""Called with the dispatcher as it starts, so a live view can follow it."""


async def fire(
    source: Path,
    broker: Broker,
    options: FireOptions,
    *,
    dry_run: bool = False,
    stop: asyncio.Event | None = None,
    watch: Watch | None = None,
) -> FireResult:
    """Send the orders of `source` now, as fast as the broker allows."""
    return await _burst(source, broker, options, dry_run=dry_run, stop=stop, watch=watch)


async def rush(
    source: Path,
    broker: Broker,
    options: FireOptions,
    at: time_of_day,
    *,
    dry_run: bool = False,
    receipts: Receipts | None = None,
    stop: asyncio.Event | None = None,
    watch: Watch | None = None,
    notify: Notify | None = None,
) -> FireResult:
    """`fire`, with the first request leaving at `at` on the exchange's clock, never
    before. Everything else (checks, journal, connections, request bodies, the clock
    offset) is done ahead. With `receipts`, the fire error is also read from the
    exchange's own receive stamps."""
    return await _burst(
        source,
        broker,
        options,
        dry_run=dry_run,
        stop=stop,
        watch=watch,
        at=at,
        receipts=receipts,
        notify=notify or (lambda _: None),
    )


async def _burst(
    source: Path,
    broker: Broker,
    options: FireOptions,
    *,
    dry_run: bool,
    stop: asyncio.Event | None,
    watch: Watch | None,
    at: time_of_day | None = None,
    receipts: Receipts | None = None,
    notify: Notify = lambda _: None,
) -> FireResult:
    command = "fire" if at is None else "rush"
    rows = _read(source, options.risk)
    await broker.connect()
    problems = check_orders(rows, await broker.instruments(), options.risk, str(source))
    target_broker_ns = None if at is None else await target_of(broker, at, problems)
    if problems:
        raise InvalidInput(problems)
    profile = PROFILES[options.profile] if options.profile else broker.profile
    dispatch = _dispatch_options(broker, options, profile)
    schedule = plan(len(rows), profile, dispatch.max_batch)
    if dry_run:
        return FireResult(
            summary=_summary(command, broker, [], None, 0.0),
            plan=schedule,
            profile=profile,
            dry_run=True,
        )
    throttle = Throttle(profile, headroom_s=options.headroom_s)
    day, run_id = await fresh_run_id(broker, throttle)
    intents = [
        Intent(
            seq=seq,
            line=row.line,
            tag=row.tag,
            order=_tagged(row, client_order_id(run_id, seq)),
        )
        for seq, row in enumerate(rows)
    ]
    broker.prepare([i.order for i in intents])
    path = options.journal or DEFAULT_JOURNAL_DIR / f"{day}-{run_id}.sqlite"
    with Journal(path, create=True) as journal:
        journal.refuse_if_used()
        journal.start_run(
            RunRecord(
                run_id=run_id,
                created_ns=time.time_ns(),
                command=command,
                account=broker.account,
                broker=broker.name,
                url=getattr(broker, "url", ""),
                profile=profile.name,
                source=str(source),
                options=_stored_options(options, dispatch),
            ),
            intents,
        )
        clock = await _warm(broker, dispatch.concurrency)
        target_wall_ns = None
        if target_broker_ns is not None:
            notify(waiting_text(target_broker_ns, clock))
            if not broker.capabilities.has_clock:
                notify(
                    f"{broker.name} has no clock to read: the target is on this machine's "
                    "clock, so keep it synchronised (NTP)"
                )
            clock = await hold(broker, dispatch.concurrency, clock, target_broker_ns, stop)
            target_wall_ns = clock.to_local_ns(target_broker_ns)
            dispatch = dataclasses.replace(
                dispatch, start_at_ns=target_wall_ns - (time.time_ns() - time.monotonic_ns())
            )
        result = await _run(
            command, broker, throttle, journal, intents, dispatch, options, stop, watch, clock
        )
        await _watch_for_late_duplicates(result, broker, throttle, dispatch, stop)
        dispatched = result.dispatch
        assert dispatched is not None
        if target_broker_ns is not None and target_wall_ns is not None:
            dispatched = await fire_errors(
                result.summary,
                result.intents,
                dispatched,
                target_wall_ns,
                target_broker_ns,
                receipts,
            )
            result.dispatch = dispatched
        journal.record_dispatch(dispatched)
        await keep_fills(broker, throttle, journal)
        journal.finish_run(run_id, time.time_ns())
    if result.interrupted or result.fatal:  # the bound of what was sent, not of the file
        schedule = plan(sum(1 for i in intents if i.attempts), profile, dispatch.max_batch)
    result.plan = schedule
    result.summary.timing = _timing(result.summary.timing, schedule, clock)
    result.journal, result.run_id, result.profile = path, run_id, profile
    return result


async def resume(
    path: Path,
    broker: Broker,
    options: FireOptions,
    *,
    stop: asyncio.Event | None = None,
    watch: Watch | None = None,
) -> FireResult:
    written_ns = last_write_ns(path)  # before opening it, which writes to it
    with Journal(path, create=False) as journal:
        run = journal.run()
        intents = journal.intents(run.run_id)
        await _connect_when_freed(broker, stop)
        if broker.account != run.account:
            raise InvalidInput(
                [
                    InputProblem(
                        path=str(path),
                        line=None,
                        reason=f"journal is for account {run.account}, "
                        f"the broker key is for {broker.account}",
                    )
                ]
            )
        options = _with_run_options(options, run.options)
        profile = PROFILES[options.profile] if options.profile else broker.profile
        throttle = Throttle(profile, headroom_s=options.headroom_s)
        dispatch = _dispatch_options(broker, options, profile)
        window_clears_ns = _window_clears_ns(intents, profile, options.headroom_s)
        unsettled = [i for i in intents if not i.state.is_final]
        found = 0
        if unsettled:
            _mark_possible_lives(journal, run, unsettled, written_ns, dispatch.max_request_age_s)
            await _wait_out_grace(options.grace_s)
            found = await _settle_from_broker(broker, throttle, journal, unsettled)
        if any(i.state is IntentState.PENDING for i in intents):
            await _wait_for_window(window_clears_ns)
        to_send = sum(1 for i in intents if not i.state.is_final)
        resumed_ns = time.time_ns()
        clock = await _warm_when_freed(broker, dispatch.concurrency, stop)
        result = await _run(
            "resume", broker, throttle, journal, intents, dispatch, options, stop, watch, clock
        )
        result.summary.orders.found_placed += found
        await _watch_for_late_duplicates(result, broker, throttle, dispatch, stop)
        assert result.dispatch is not None
        journal.record_dispatch(result.dispatch)
        await keep_fills(broker, throttle, journal)
        journal.finish_run(run.run_id, time.time_ns())
    if result.interrupted or result.fatal:
        to_send = sum(1 for i in intents if i.sent_ns >= resumed_ns)
    schedule = plan(to_send, profile, dispatch.max_batch)
    result.plan = schedule
    result.summary.timing = _timing(result.summary.timing, schedule, clock)
    result.journal, result.run_id, result.profile = path, run.run_id, profile
    return result


# -- steps ------------------------------------------------------------------------------


def _read(source: Path, risk: RiskLimits) -> list[OrderRow]:
    rows, problems = read_orders(source, max_rows=risk.max_orders)
    if not problems and not rows:
        problems = [InputProblem(path=str(source), line=None, reason="no orders")]
    if problems:
        if len(rows) > risk.max_orders:
            problems.insert(
                0,
                InputProblem(
                    path=str(source),
                    line=None,
                    reason=f"{len(rows)} orders or more, over --max-orders {risk.max_orders}",
                ),
            )
        raise InvalidInput(problems)
    if len(rows) > MAX_ORDERS_PER_RUN:
        reason = f"{len(rows)} orders; one run takes at most {MAX_ORDERS_PER_RUN}"
        raise InvalidInput([InputProblem(path=str(source), line=None, reason=reason)])
    return rows


def _tagged(row: OrderRow, user_def: str) -> Order:
    return msgspec.structs.replace(row.order, user_def=user_def)


def _stored_options(options: FireOptions, dispatch: DispatchOptions) -> dict[str, Any]:
    """What `resume` needs to send the rest the way the run began."""
    pacing = options.pacing
    return {
        "profile": options.profile,
        "max_batch": dispatch.max_batch,
        "concurrency": dispatch.concurrency,
        "headroom_s": options.headroom_s,
        "pacing": [pacing.chunk_size, pacing.delay_s] if pacing else None,
        "max_request_age_s": dispatch.max_request_age_s,
    }


def _with_run_options(options: FireOptions, stored: dict[str, Any]) -> FireOptions:
    """`options`, with what the user did not give again taken from the run's journal."""
    pacing = stored.get("pacing")
    return dataclasses.replace(
        options,
        profile=options.profile or stored.get("profile"),
        max_batch=options.max_batch or stored.get("max_batch"),
        concurrency=options.concurrency or stored.get("concurrency"),
        headroom_s=stored.get("headroom_s", options.headroom_s),
        max_request_age_s=options.max_request_age_s or stored.get("max_request_age_s"),
        pacing=options.pacing
        or (ManualPacing(chunk_size=pacing[0], delay_s=pacing[1]) if pacing else None),
    )


def _dispatch_options(
    broker: Broker, options: FireOptions, profile: LimitProfile
) -> DispatchOptions:
    capabilities = broker.capabilities
    concurrency = min(options.concurrency or capabilities.connections, capabilities.connections)
    max_batch = min(
        options.max_batch or capabilities.max_batch_orders, capabilities.max_batch_orders
    )
    return DispatchOptions(
        concurrency=concurrency,
        max_batch=max_batch,
        grace_s=options.grace_s,
        reconcile_timeout_s=options.reconcile_timeout_s,
        max_request_age_s=options.max_request_age_s or profile.max_request_age_s,
        pacing=options.pacing,
    )


async def fresh_run_id(broker: Broker, throttle: Throttle) -> tuple[str, str]:
    """A run id no order of the account carries today, and the day (YYYYMMDD)."""
    now = datetime.fromtimestamp((await broker.server_time_ns()) / 1e9, TAIPEI)
    day_ns = (now.hour * 3600 + now.minute * 60 + now.second) * 10**9 + now.microsecond * 1000
    slots = await throttle.acquire(throttle.charges_for(LimitClass.QUERY))
    try:
        taken = {s.user_def[:RUN_ID_LEN] for s in await broker.order_results() if s.user_def}
    finally:
        slots.release()
    # Bounded: with a broken random tail the loop would spin for ever without awaiting,
    # out of reach of any timeout.
    for _ in range(RUN_ID_TRIES):
        run_id = new_run_id(day_ns)
        if run_id not in taken:
            return now.strftime("%Y%m%d"), run_id
    reason = f"no unused run id after {RUN_ID_TRIES} tries; try again in two seconds"
    raise InvalidInput([InputProblem(path="run id", line=None, reason=reason)])


async def _warm(broker: Broker, connections: int) -> ClockOffset:
    """Open the connections, then read the broker's clock a few times: its offset from
    ours, and the fastest round trip (the bound's floor, and the wire's share)."""
    await broker.warm(connections)
    return await estimate_offset(broker.server_time_ns)


async def _wait_out_grace(grace_s: float) -> None:
    """A request sent just before a crash may still be on its way: give it the grace period
    before asking the broker. The journal's last write cannot shorten the wait, since the
    last send may have come after it (a crash loses the last group commit)."""
    await asyncio.sleep(grace_s)


def _window_clears_ns(intents: list[Intent], profile: LimitProfile, headroom_s: float) -> int:
    """When the stopped run's requests no longer count in the broker's order windows (wall
    ns): its latest send or answer in the journal, plus the longest window. A send the last
    lost group commit held came at most about `GROUP_COMMIT_S` after, hence the margin.
    Sending before then could breach the limit (Shioaji suspends the account for it)."""
    windows = [w for cls, (_, w) in profile.limits.items() if cls is not LimitClass.QUERY]
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


def _mark_possible_lives(
    journal: Journal, run: RunRecord, unsettled: list[Intent], written_ns: int, age_s: float
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
    last_life_ns = max(journal.last_sign_of_life_ns(run.run_id, time.time_ns()), written_ns)
    unseen_ns = int((HEARTBEAT_S + 2 * GROUP_COMMIT_S) * 1e9)
    for intent in unsettled:
        intent.may_land_until_ns = last_life_ns + unseen_ns + age_ns


async def _settle_from_broker(
    broker: Broker, throttle: Throttle, journal: Journal, unsettled: list[Intent]
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
        if intent.state in (IntentState.IN_FLIGHT, IntentState.UNKNOWN):
            intent.resent += 1  # it left, and never arrived: it goes again
        intent.state = IntentState.PENDING
    waiting = [i for i in matched.missing if i.state is IntentState.UNKNOWN]
    if waiting:
        until_ns = max(i.may_land_until_ns for i in waiting)
        log.warning(
            "%d orders of the stopped run are not at the broker, but a request of theirs "
            "may still land until %s: they are asked about until then, and sent only if "
            "still missing",
            len(waiting),
            datetime.fromtimestamp(until_ns / 1e9, TAIPEI).strftime("%H:%M:%S"),
        )
    for intent in unsettled:
        journal.record(intent)
    journal.flush()
    return len(matched.decided) + len(matched.undecided)


async def _connect_when_freed(broker: Broker, stop: asyncio.Event | None) -> None:
    """Connect; while the broker refuses for its connection limit (a dead run's sockets
    may still count), wait and try again, up to `CONNECTION_WAIT_S`."""
    await _when_freed(broker.connect, stop)


async def _warm_when_freed(
    broker: Broker, connections: int, stop: asyncio.Event | None
) -> ClockOffset:
    return await _when_freed(lambda: _warm(broker, connections), stop)


async def _when_freed(attempt: Callable[[], Awaitable[T]], stop: asyncio.Event | None) -> T:
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


async def _watch_for_late_duplicates(
    result: FireResult,
    broker: Broker,
    throttle: Throttle,
    dispatch: DispatchOptions,
    stop: asyncio.Event | None,
) -> None:
    """After an order was sent again because the broker lacked it, watch the account for
    one request age: the net under the rule."""
    resent_ns = max((i.sent_ns for i in result.intents if i.aged_out), default=0)
    if not resent_ns or result.fatal:
        return
    until_ns = resent_ns + int(dispatch.max_request_age_s * 1e9)
    if stop is not None and stop.is_set():
        result.watch_until_ns = until_ns
        return
    log.warning(
        "orders were sent again after their first requests aged out: watching the "
        "account for late duplicates until %s",
        datetime.fromtimestamp(until_ns / 1e9, TAIPEI).strftime("%H:%M:%S"),
    )
    result.summary.late_duplicates = await watch_late_duplicates(
        broker,
        throttle,
        result.intents,
        until_ns,
        stop or asyncio.Event(),
        age_s=dispatch.max_request_age_s,
    )
    if stop is not None and stop.is_set() and time.time_ns() < until_ns:
        result.watch_until_ns = until_ns


async def _run(
    command: str,
    broker: Broker,
    throttle: Throttle,
    journal: Journal,
    intents: list[Intent],
    dispatch: DispatchOptions,
    options: FireOptions,
    stop: asyncio.Event | None,
    watch: Watch | None,
    clock: ClockOffset,
) -> FireResult:
    dispatcher = Dispatcher(broker, throttle, journal, intents, dispatch)
    if watch is not None:
        watch(dispatcher)
    if stop is not None and stop.is_set():  # Ctrl-C came while we were getting ready
        dispatcher.stop()
    stopper = asyncio.create_task(_stop_when(stop, dispatcher)) if stop else None
    start_at_ns = dispatch.start_at_ns
    begun = DispatchRecord(
        run_id=journal.run().run_id,
        command=command,
        started_ns=time.time_ns(),  # before any send: it covers all of this dispatch's
        target_ns=None if start_at_ns is None else dispatcher.to_wall_ns(start_at_ns),
        offset_ns=clock.offset_ns,
        rtt_ns=clock.rtt_ns,
        offset_error_ns=clock.error_ns,
        opening_sends_ns=[],
    )
    journal.begin_dispatch(begun)
    # Everything built so far (the intents, their orders) lives to the end of the run: move
    # it out of the collector's sight, so collections during the burst stay small.
    gc.collect()
    gc.freeze()
    try:
        await dispatcher.run()
    finally:
        gc.unfreeze()
        if stopper is not None:
            stopper.cancel()
    interrupted = stop is not None and stop.is_set()
    cancelled = 0
    if interrupted and options.cancel_on_abort:
        cancelled = await _cancel_open(broker, throttle, intents)
    stats = dispatcher.stats
    elapsed_s = max(0.0, (stats.last_settle_ns - stats.first_send_ns) / 1e9)
    latencies_ms = [ns / 1e6 for ns in stats.latencies_ns]
    summary = _summary(command, broker, intents, stats, elapsed_s)
    summary.orders.found_placed = stats.found_placed
    summary.latency_ms = Latency.of(latencies_ms)
    started_wall_ns = dispatcher.to_wall_ns(stats.started_ns)
    summary.classification = Classification.of(
        _guide_differences_ms(intents, started_wall_ns, clock), options.thresholds
    )
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
        profile=throttle.profile,
        interrupted=interrupted,
        fatal=str(dispatcher.fatal) if dispatcher.fatal is not None else None,
        cancelled=cancelled,
        intents=intents,
    )


async def keep_fills(broker: Broker, throttle: Throttle, journal: Journal) -> None:
    """One query of the account's fills, kept in the journal for the run's orders. A
    failure costs only the record: the broker keeps the fills."""
    slots = await throttle.acquire(throttle.charges_for(LimitClass.QUERY))
    try:
        journal.record_fills(await broker.fills())
    except BrokerError as exc:
        log.info("fills not recorded in the journal (%s)", exc)
    finally:
        slots.release()


async def _stop_when(stop: asyncio.Event, dispatcher: Dispatcher) -> None:
    await stop.wait()
    dispatcher.stop()


async def _cancel_open(broker: Broker, throttle: Throttle, intents: list[Intent]) -> int:
    """Cancel every order of the run that was accepted and may still be working; how many
    the broker cancelled (a filled order's cancel is refused, and is not counted)."""
    cancelled = 0
    for intent in intents:
        if intent.state is not IntentState.ACCEPTED or intent.order_no is None:
            continue
        slots = await throttle.acquire(throttle.charges_for(LimitClass.ORDER))
        try:
            answer = await broker.cancel(intent.order_no)
        except BrokerError:  # one failed cancel must not stop the others
            continue
        finally:
            slots.release()
        cancelled += answer.status.is_cancelled
    return cancelled


def _summary(
    command: str,
    broker: Broker,
    intents: list[Intent],
    stats: DispatchStats | None,
    elapsed_s: float,
) -> Summary:
    counts = OrderCounts(total=len(intents))
    for intent in intents:
        state = intent.state
        if state is IntentState.ACCEPTED:
            counts.accepted += 1
        elif state is IntentState.REJECTED:
            counts.rejected += 1
        elif state is IntentState.PENDING:
            counts.not_sent += 1
        else:
            counts.unknown += 1
        counts.resent += intent.resent
    rate_limited = stats.rate_limit_rejections if stats is not None else 0
    return Summary(
        command=command,
        broker=broker.name,
        account=broker.account,
        orders=counts,
        rate_limit_rejections=rate_limited,
        timing=Timing(elapsed_s=round(elapsed_s, 6)),
    )


def _timing(timing: Timing, schedule: Plan, clock: ClockOffset) -> Timing:
    elapsed_s = timing.elapsed_s
    bound_s = schedule.lower_bound_s(clock.rtt_ns / 1e9)
    return msgspec.structs.replace(
        timing,
        lower_bound_s=round(bound_s, 6),
        efficiency=round(bound_s / elapsed_s, 4) if elapsed_s > 0 else None,
        clock_offset_ms=round(clock.offset_ns / 1e6, 3),
        clock_error_ms=round(clock.error_ns / 1e6, 3),
    )


def _guide_differences_ms(
    intents: list[Intent], since_wall_ns: int, clock: ClockOffset
) -> list[float]:
    """Per order answered in this dispatch, the guide's time difference: the answer's
    arrival on the broker's clock against the broker's own `last_time` (the round trip
    when the broker gave no time)."""
    differences: list[float] = []
    for intent in intents:
        if (
            not intent.state.is_final
            or intent.by_query
            or intent.sent_ns < since_wall_ns
            or not intent.answered_ns
        ):
            continue
        differences.append(trip_of(intent, clock).compared_ms)
    return differences
