"""`fire` and `rush`: a whole run from an orders file to the summary (a rush's own steps
are in `_rush.py`, the run's lifecycle in `_session.py`).

Read and check every order (nothing is sent if any is wrong), connect, plan, open a new
run (a run id the broker has not seen today, the intents journaled durably), warm the
connections, for a rush hold until its target, dispatch, and summarize. Nothing is sent
twice: an intent is only ever sent again after the broker said it does not have it, and
only once its request is older than the request age, so it can no longer land; after
such a resend the late-duplicate watch looks at the account for one request age.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from datetime import time as time_of_day
from pathlib import Path

import msgspec

from tradeburst.brokers import Broker
from tradeburst.clock import mono_ns, wall_ns
from tradeburst.engine._collector import frozen_for_the_run
from tradeburst.engine._dispatch_terms import DispatchOptions
from tradeburst.engine._hours import closed_market_warnings
from tradeburst.engine._ids import MAX_ORDERS_PER_RUN, client_order_id
from tradeburst.engine._intents import Intent
from tradeburst.engine._order_source import OrderSource, read_source, source_name
from tradeburst.engine._orders_file import InputProblem, InvalidInput, OrderRow
from tradeburst.engine._outcome import summary_of, timing_against
from tradeburst.engine._planner import Plan, plan
from tradeburst.engine._repeats import DIGEST_KEY, earlier_run, orders_claim, orders_digest
from tradeburst.engine._risk import RiskLimits
from tradeburst.engine._run_terms import (
    FireOptions,
    FireResult,
    Watch,
    dispatch_options,
    stored_options,
)
from tradeburst.engine._rush import Notify, Receipts, fire_errors, hold, target_of, waiting_text
from tradeburst.engine._session import DEFAULT_JOURNAL_DIR, RunSession, new_run, run_record
from tradeburst.engine._shared_throttle import account_throttle, shared_terms, throttle_link
from tradeburst.engine._throttle import Throttle
from tradeburst.engine._validation import check_orders
from tradeburst.engine.journal import JournalLocation, RunRecord
from tradeburst.latency import ClockOffset
from tradeburst.limits import PROFILES, LimitProfile
from tradeburst.model import Order

__all__ = ["fire", "rush"]


async def fire(
    source: OrderSource,
    broker: Broker,
    options: FireOptions,
    *,
    dry_run: bool = False,
    stop: asyncio.Event | None = None,
    watch: Watch | None = None,
) -> FireResult:
    """Send the orders of `source` (an orders file, or `Order`s, each alone or with a
    tag) now, as fast as the broker allows."""
    return await _burst(source, broker, options, dry_run=dry_run, stop=stop, watch=watch)


async def rush(
    source: OrderSource,
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
        source, broker, options, dry_run=dry_run, stop=stop, watch=watch,
        rushing=_Rushing(at=at, receipts=receipts, notify=notify or (lambda _: None)),
    )  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Rushing:
    """What a rush adds to a fire: its target, where its receive stamps are, whom to tell."""

    at: time_of_day
    receipts: Receipts | None
    notify: Notify


async def _burst(
    source: OrderSource,
    broker: Broker,
    options: FireOptions,
    *,
    dry_run: bool,
    stop: asyncio.Event | None,
    watch: Watch | None,
    rushing: _Rushing | None = None,
) -> FireResult:
    command = "fire" if rushing is None else "rush"
    async with throttle_link(None if dry_run else options.throttle) as link:
        rows, target_broker_ns = await _checked(source, broker, options, rushing)
        profile = PROFILES[options.profile] if options.profile else broker.profile
        terms = dispatch_options(broker, options, profile)
        if dry_run:
            summary = summary_of(command, broker.name, broker.account, [], None)
            schedule = plan(len(rows), profile, terms.max_batch)
            at = None if rushing is None else rushing.at
            warnings = await closed_market_warnings(broker, [r.order for r in rows], at)
            return FireResult(
                summary=summary, plan=schedule, profile=profile, dry_run=True, warnings=warnings
            )
        async with (
            account_throttle(profile, broker.account, options.headroom_s, link) as throttle,
            _orders_of_its_own(source, options, rows, broker) as digest,
        ):
            terms = await shared_terms(throttle, terms)
            return await _send(source, broker, options, terms, throttle, rows,
                               target_broker_ns, command, stop, watch, rushing, digest)  # fmt: skip


@contextlib.asynccontextmanager
async def _orders_of_its_own(
    source: OrderSource, options: FireOptions, rows: list[OrderRow], broker: Broker
) -> AsyncIterator[str]:
    """The orders' digest, once they are this run's alone to send: claimed against a twin
    run still sending, and not sent by a run of today (unless `again`); held to the end."""
    digest = orders_digest(rows)
    if options.again:
        yield digest
        return
    folder = _journal_folder(options)
    with orders_claim(folder, digest, broker.account, source_name(source)):
        await _refuse_repeat(source, folder, digest, broker)
        yield digest


async def _send(
    source: OrderSource,
    broker: Broker,
    options: FireOptions,
    terms: DispatchOptions,
    throttle: Throttle,
    rows: list[OrderRow],
    target_broker_ns: int | None,
    command: str,
    stop: asyncio.Event | None,
    watch: Watch | None,
    rushing: _Rushing | None,
    digest: str,
) -> FireResult:
    """The run itself, once its throttle is open and its orders are its own to send."""
    profile = throttle.profile
    intents: list[Intent] = []

    def tagged(run_id: str) -> list[Intent]:
        intents.extend(_intents(rows, run_id))
        rows.clear()  # the intents hold their orders now; the rows are a tenth of the peak
        broker.prepare([i.order for i in intents])
        return intents

    def record(run_id: str) -> RunRecord:
        stored = {**stored_options(options, terms), DIGEST_KEY: digest}
        return run_record(broker, run_id, command, profile.name, source_name(source), stored)

    async with new_run(
        broker, throttle, journal=options.journal, record=record, intents=tagged
    ) as session:
        # Its full collection now, not in a rush's last moments before the target, nor
        # between its two clock estimates (their interval tells the broker clock's rate).
        with frozen_for_the_run():
            clock = await session.warm(terms.concurrency)
            if target_broker_ns is not None:
                assert rushing is not None
                clock, terms = await _hold(session, terms, clock, target_broker_ns, rushing, stop)
            result = await session.dispatch(
                command, intents, terms, clock=clock, stop=stop, watch=watch,
                cancel_on_abort=options.cancel_on_abort, thresholds=options.thresholds,
            )  # fmt: skip
        await session.watch_late_duplicates(result, terms, stop)
        broker.prepare([])  # nothing more is sent: the bodies go before the fills are read
        if target_broker_ns is not None and rushing is not None:
            await _grade_rush(result, clock, target_broker_ns, rushing)
        await session.finish(result.dispatch)
    schedule = plan(len(intents), profile, terms.max_batch)  # one per row, the rows let go
    # Stopped early: the bound of what was sent, not of the file.
    if result.interrupted or result.fatal or result.journal_failure:
        schedule = plan(sum(1 for i in intents if i.attempts), profile, terms.max_batch)
    return _with_plan(result, schedule, profile, clock)


async def _checked(
    source: OrderSource, broker: Broker, options: FireOptions, rushing: _Rushing | None
) -> tuple[list[OrderRow], int | None]:
    """The file's orders, each checked against the broker's symbols and the risk limits,
    and a rush's target on the broker's clock; every problem at once, nothing sent."""
    rows = _read(source, options.risk)
    await broker.connect()
    name = source_name(source)
    problems = check_orders(rows, await broker.instruments(), options.risk, name)
    target_broker_ns = None if rushing is None else await target_of(broker, rushing.at, problems)
    if problems:
        raise InvalidInput(problems)
    return rows, target_broker_ns


def _journal_folder(options: FireOptions) -> Path:
    """Where this run's journal file goes (for a PostgreSQL journal, the default folder):
    the folder whose journals and claims say what else sent these orders."""
    journal = options.journal
    path = journal.path if isinstance(journal, JournalLocation) else journal
    return path.parent if path is not None else DEFAULT_JOURNAL_DIR


async def _refuse_repeat(source: OrderSource, folder: Path, digest: str, broker: Broker) -> None:
    """Refuse to send orders a run of today already sent on this account. The runs looked
    at are the journal files in `folder` (a shared PostgreSQL journal is not read)."""
    earlier = await earlier_run(folder, digest, broker)
    if earlier is not None:
        raise InvalidInput([earlier.problem(source_name(source))])


async def _hold(
    session: RunSession,
    terms: DispatchOptions,
    clock: ClockOffset,
    target_broker_ns: int,
    rushing: _Rushing,
    stop: asyncio.Event | None,
) -> tuple[ClockOffset, DispatchOptions]:
    """Hold the connections warm until just before the target; the dispatch's terms then
    start at the target, on our monotonic clock."""
    broker = session.broker
    rushing.notify(waiting_text(target_broker_ns, clock))
    if not broker.capabilities.has_clock:
        rushing.notify(
            f"{broker.name} has no clock to read: the target is on this machine's "
            "clock, so keep it synchronised (NTP)"
        )
    clock = await hold(broker, terms.concurrency, clock, target_broker_ns, stop)
    target_wall_ns = clock.to_local_ns(target_broker_ns)
    start_at_ns = target_wall_ns - (wall_ns() - mono_ns())
    return clock, dataclasses.replace(terms, start_at_ns=start_at_ns)


async def _grade_rush(
    result: FireResult, clock: ClockOffset, target_broker_ns: int, rushing: _Rushing
) -> None:
    """The fire error of the rush's opening requests, by our stamps and the exchange's."""
    assert result.dispatch is not None
    result.dispatch = await fire_errors(
        result.summary,
        result.intents,
        result.dispatch,
        clock.to_local_ns(target_broker_ns),
        target_broker_ns,
        rushing.receipts,
    )


def _with_plan(
    result: FireResult, schedule: Plan, profile: LimitProfile, clock: ClockOffset
) -> FireResult:
    result.plan, result.profile = schedule, profile
    result.summary.timing = timing_against(result.summary.timing, schedule, clock)
    return result


def _read(source: OrderSource, risk: RiskLimits) -> list[OrderRow]:
    rows, problems = read_source(source, max_rows=risk.max_orders)
    name = source_name(source)
    if not problems and not rows:
        problems = [InputProblem(path=name, line=None, reason="no orders")]
    if problems:
        if len(rows) > risk.max_orders:
            problems.insert(
                0,
                InputProblem(
                    path=name,
                    line=None,
                    reason=f"{len(rows)} orders or more, over max_orders {risk.max_orders}",
                ),
            )
        raise InvalidInput(problems)
    if len(rows) > MAX_ORDERS_PER_RUN:
        reason = f"{len(rows)} orders; one run takes at most {MAX_ORDERS_PER_RUN}"
        raise InvalidInput([InputProblem(path=name, line=None, reason=reason)])
    return rows


def _tagged(row: OrderRow, user_def: str) -> Order:
    return msgspec.structs.replace(row.order, user_def=user_def)


def _intents(rows: list[OrderRow], run_id: str) -> list[Intent]:
    return [
        Intent(
            seq=seq, line=row.line, tag=row.tag, order=_tagged(row, client_order_id(run_id, seq))
        )
        for seq, row in enumerate(rows)
    ]
