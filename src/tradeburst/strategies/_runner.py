"""The runner behind `tradeburst run`: every strategy of a strategies file in one loop, on
one account, through one throttle shared fairly.

It checks everything first (the file, each declarative order, the Python classes; any
problem: nothing is sent), picks a run id, opens one journal for the run, and starts the
market-data feed for the symbols the strategies watch. Each strategy then runs in its own
task with its own lane of the fair share. Orders go through the engine unchanged: each
`submit` is checked against the rules and the run's risk budget, journaled durably under
fresh client order ids, and sent by an engine `Dispatcher` on the strategy's lane, which
settles every order exactly once (reconciling lost answers by query). A strategy that
raises is stopped and reported: it sends nothing more, what it had in flight is still
settled, and the others go on. `tradeburst resume` can finish the run from its journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from tradeburst.brokers import Broker, Instrument
from tradeburst.engine import (
    MAX_ORDERS_PER_RUN,
    Dispatcher,
    DispatchOptions,
    FireOptions,
    InputProblem,
    Intent,
    InvalidInput,
    JournalStore,
    OrderRow,
    RedisLink,
    RunRecord,
    account_throttle,
    batch_within,
    client_order_id,
    default_release,
    new_run,
    order_counts,
    run_record,
    throttle_link,
)
from tradeburst.errors import TradeburstError
from tradeburst.latency import ClockOffset, estimate_offset
from tradeburst.limits import PROFILES
from tradeburst.marketdata import Book, Feed, Gap, Trade
from tradeburst.model import Order
from tradeburst.strategies._budget import RiskBudget
from tradeburst.strategies._build import StrategyRefused, build_strategy, passed_start, wait_lines
from tradeburst.strategies._clock import ExchangeTime
from tradeburst.strategies._config import RunConfig, StrategySpec
from tradeburst.strategies._fair import FairShare, Lane
from tradeburst.strategies._kinds import Twap
from tradeburst.strategies._run_summary import run_summary
from tradeburst.strategies._stalls import LoopWatch
from tradeburst.strategies._strategy import OrderRefused, OrderUpdate, Strategy
from tradeburst.strategies._twap import TwapParent
from tradeburst.summary import OrderCounts, Summary

__all__ = ["FeedFactory", "RunResult", "Slot", "StrategyRunner", "run_strategies"]

log = logging.getLogger(__name__)

FeedFactory = Callable[[list[str]], Feed]
"""Opens the market-data feed for these symbols (the CLI knows the URL and the key)."""
_END = object()


@dataclass(slots=True, eq=False)
class Slot:
    """One strategy as the runner holds it; the live view reads it."""

    spec: StrategySpec
    strategy: Strategy
    lane: Lane
    state: str = "waiting"
    """waiting, running, done, stopped or failed."""
    error: str | None = None
    intents: list[Intent] = field(default_factory=list)
    dispatchers: list[Dispatcher] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    latencies_ns: list[int] = field(default_factory=list)
    stopping: bool = False
    time_up: bool = False
    """Its `duration_s` ran out; what it had not sent by then was not sent."""
    cancels: int = 0

    @property
    def name(self) -> str:
        return self.spec.name

    def counts(self) -> OrderCounts:
        counts = order_counts(self.intents, over=self.stopping)
        # Only the dispatcher knows which answers it had to find by asking the broker.
        counts.found_placed = sum(d.stats.found_placed for d in self.dispatchers)
        return counts


@dataclass(slots=True, kw_only=True)
class RunResult:
    summary: Summary
    slots: list[Slot]
    journal: Any = None
    interrupted: bool = False
    run_id: str | None = None


class _Host:
    """What one strategy's `submit`, `cancel` and `stop` reach."""

    def __init__(self, runner: StrategyRunner, slot: Slot) -> None:
        self._runner = runner
        self._slot = slot

    async def submit(self, orders: Sequence[Order], tag: str) -> list[str]:
        return await self._runner.submit(self._slot, list(orders), tag)

    async def cancel(self, user_def: str) -> bool:
        return await self._runner.cancel(self._slot, user_def)

    def exchange_time_ns(self) -> int:
        return self._runner.clock.now_ns()

    def stop(self) -> None:
        pass  # `Strategy.stop` ends `run`; the driver stops the dispatchers after it


class StrategyRunner:
    def __init__(
        self,
        config: RunConfig,
        broker: Broker,
        options: FireOptions,
        *,
        feed: FeedFactory | None = None,
        link: RedisLink | None = None,
    ) -> None:
        self.config = config
        self._link = link
        self.closing = contextlib.AsyncExitStack()
        """Closes the account's throttle (shared through `link`, if given)."""
        self.broker = broker
        self.options = options
        self._feed_factory = feed
        self.slots: list[Slot] = []
        self.clock = ExchangeTime()
        self.share: FairShare | None = None
        self.run_id = ""
        self.journal: JournalStore | None = None
        self.started_wall_ns = 0
        self._seq = 0
        self._budget: RiskBudget | None = None
        self._dispatch: DispatchOptions | None = None
        self._instruments: dict[str, Instrument] = {}
        self.clock_offset: ClockOffset | None = None
        self.loop_watch = LoopWatch()

    # -- getting ready --------------------------------------------------------------------

    async def prepare(self) -> None:
        """Connect, check everything, set the clock and the lanes; nothing sent."""
        broker = self.broker
        await broker.connect()
        self._instruments = await broker.instruments()
        self._budget = RiskBudget(self.options.risk, self._instruments)
        problems: list[InputProblem] = []
        built: list[tuple[StrategySpec, Strategy]] = []
        for spec in self.config.strategies:
            try:
                strategy = build_strategy(
                    spec, self._budget, self._instruments, self.clock, self.config.path, problems
                )
                built.append((spec, strategy))
            except StrategyRefused as exc:
                problems.append(InputProblem(str(self.config.path), None, str(exc)))
        if problems:
            raise InvalidInput(problems)
        self.clock_offset = await estimate_offset(broker.server_time_ns)
        self.clock.offset_ns = self.clock_offset.offset_ns  # the Twaps hold this clock
        passed = [
            passed_start(spec, self.clock, self.config.path) for spec in self.config.strategies
        ]
        if any(passed):
            raise InvalidInput([p for p in passed if p is not None])
        profile = PROFILES[self.options.profile] if self.options.profile else broker.profile
        throttle = await self.closing.enter_async_context(
            account_throttle(profile, broker.account, self.options.headroom_s, self._link)
        )
        self.share = FairShare(throttle, cancel_reserve=self.config.cancel_reserve)
        self.slots = [
            Slot(spec=spec, strategy=strategy, lane=self.share.lane(spec.name, spec.weight))
            for spec, strategy in built
        ]
        capabilities = broker.capabilities
        self._dispatch = DispatchOptions(
            concurrency=min(self.options.concurrency or capabilities.connections, 10**6),
            max_batch=batch_within(broker, self.options.max_batch),
            grace_s=self.options.grace_s,
            max_request_age_s=self.options.max_request_age_s or profile.max_request_age_s,
            release=self.options.release or default_release(capabilities),
        )

    def waits(self) -> list[str]:
        """What each strategy that starts later is waiting for, to be said before the run."""
        return wait_lines(self.config.strategies, self.clock)

    # -- running --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> RunResult:
        assert self.share is not None and self.clock_offset is not None
        broker = self.broker
        self.started_wall_ns = time.time_ns()
        feed = self._open_feed()
        async with new_run(
            broker,
            self.share.throttle,
            journal=self.options.journal,
            record=self._record,
            intents=lambda _: [],  # strategies decide theirs as the run goes
        ) as session:
            self.run_id, self.journal = session.run_id, session.journal
            begun = await session.begin_dispatch("run", self.clock_offset, None)  # kept if killed
            await broker.warm(self._dispatch.concurrency if self._dispatch else 1)
            feeder = asyncio.create_task(self._feed(feed)) if feed else None
            stopper = asyncio.create_task(self._stop_when(stop)) if stop else None
            watchdog = asyncio.create_task(self.loop_watch.heartbeat())
            try:
                await asyncio.gather(*(self._drive(slot) for slot in self.slots))
            finally:
                for task in (feeder, stopper, watchdog):
                    if task is not None:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
                if feed is not None:
                    await feed.aclose()
            await session.finish(begun)
        interrupted = stop is not None and stop.is_set()
        return RunResult(
            summary=self.summary(),
            slots=self.slots,
            journal=session.location,
            interrupted=interrupted,
            run_id=self.run_id,
        )

    def _record(self, run_id: str) -> RunRecord:
        dispatch = self._dispatch
        assert dispatch is not None and self.share is not None
        options = {
            "profile": self.options.profile,
            "max_batch": dispatch.max_batch,
            "concurrency": dispatch.concurrency,
            "headroom_s": self.options.headroom_s,
            "pacing": None,
            "max_request_age_s": dispatch.max_request_age_s,
            "strategies": [s.name for s in self.slots],
        }
        profile = self.share.throttle.profile.name
        return run_record(self.broker, run_id, "run", profile, str(self.config.path), options)

    def _open_feed(self) -> Feed | None:
        symbols = sorted({s for slot in self.slots for s in slot.strategy.symbols})
        if not symbols or self._feed_factory is None:
            return None
        return self._feed_factory(symbols)

    async def _feed(self, feed: Feed) -> None:
        await feed.start()
        watchers: dict[str, list[Slot]] = {}
        for slot in self.slots:
            for symbol in slot.strategy.symbols:
                watchers.setdefault(symbol, []).append(slot)
        async for event in feed:
            if isinstance(event, Gap):
                log.info("market data gap: %s %s %d..%d", event.channel, event.symbol,
                         event.first_seq, event.last_seq)  # fmt: skip
                continue
            assert isinstance(event, Book | Trade)
            for slot in watchers.get(event.symbol, ()):
                if slot.state == "running":
                    slot.queue.put_nowait(event)

    async def _stop_when(self, stop: asyncio.Event) -> None:
        await stop.wait()
        for slot in self.slots:
            slot.strategy.stop()
            self._halt(slot)

    async def _drive(self, slot: Slot) -> None:
        strategy = slot.strategy
        strategy.bind(_Host(self, slot))
        try:
            if slot.spec.at is not None:
                await self._wait_until(slot)
            if strategy.stopped:
                slot.state = "stopped"
                return
            if isinstance(strategy, Twap) and slot.spec.twap and slot.spec.twap.start is None:
                strategy.parent = _timed_from_now(strategy.parent, self.clock)
            slot.state = "running"
            await self.loop_watch.timed(slot.name, "on_start", strategy.on_start())
            async with asyncio.TaskGroup() as group:
                group.create_task(self._deliver(slot))
                await self._body(slot)
                await self._settle(slot)
                slot.queue.put_nowait(_END)
            if slot.time_up:
                slot.state = "time up"
            else:
                slot.state = (
                    "stopped" if strategy.stopped and slot.spec.kind != "python" else "done"
                )
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # isolation: this strategy stops, the others go on
            # SystemExit and other BaseExceptions from user code too: a strategy's
            # sys.exit(3) is its failure, not tradeburst's exit code 3.
            error = _first(exc)
            if isinstance(error, KeyboardInterrupt | asyncio.CancelledError):
                raise
            slot.error = (
                str(error)
                if isinstance(error, StrategyExit)
                else (f"{type(error).__name__}: {error}")
            )
            slot.state = "failed"
            log.warning("strategy %s failed and was stopped: %s", slot.name, slot.error)
            self._halt(slot)
            await self._settle(slot)
        finally:
            try:
                await self.loop_watch.timed(slot.name, "on_stop", strategy.on_stop())
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                slot.error = slot.error or f"on_stop: {type(exc).__name__}: {exc}"
                slot.state = "failed"

    async def _wait_until(self, slot: Slot) -> None:
        assert slot.spec.at is not None
        wait_s = self.clock.seconds_until(slot.spec.at)
        if wait_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(slot.strategy._stopped.wait(), wait_s)

    async def _body(self, slot: Slot) -> None:
        """The strategy's `run`; with `duration_s`, its time bounds the sending too, not
        only `run`: orders it queued and had not sent when time is up stay unsent."""
        duration_s = slot.spec.duration_s
        body = self.loop_watch.timed(slot.name, "run", slot.strategy.run())
        if duration_s is None:
            await body
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration_s
        try:
            await asyncio.wait_for(body, duration_s)
        except TimeoutError:
            self._time_up(slot)
            return
        while slot.tasks:
            left_s = deadline - loop.time()
            if left_s <= 0:
                self._time_up(slot)
                return
            # asyncio.wait, not gather: a dispatcher is never cancelled mid-flight.
            await asyncio.wait(list(slot.tasks), timeout=left_s)

    def _time_up(self, slot: Slot) -> None:
        slot.time_up = True
        slot.strategy.stop()
        self._halt(slot)

    async def _settle(self, slot: Slot) -> None:
        """Wait for every order the strategy sent to be settled."""
        while slot.tasks:
            await asyncio.gather(*list(slot.tasks), return_exceptions=True)

    async def _deliver(self, slot: Slot) -> None:
        strategy = slot.strategy
        while True:
            event = await slot.queue.get()
            if event is _END:
                return
            try:
                if isinstance(event, OrderUpdate):
                    await self.loop_watch.timed(slot.name, "on_order", strategy.on_order(event))
                else:
                    await self.loop_watch.timed(slot.name, "on_tick", strategy.on_tick(event))
            except (Exception, KeyboardInterrupt, asyncio.CancelledError):
                raise
            except BaseException as exc:
                # A SystemExit escaping a task would be re-raised out of the event loop,
                # ending every strategy: as an Exception it fails this one only.
                raise StrategyExit(f"{type(exc).__name__}: {exc}") from None

    def _halt(self, slot: Slot) -> None:
        slot.stopping = True
        for dispatcher in slot.dispatchers:
            dispatcher.stop()

    # -- what the strategies call ---------------------------------------------------------

    async def submit(self, slot: Slot, orders: list[Order], tag: str) -> list[str]:
        if slot.stopping or slot.state != "running":
            raise RuntimeError(f"strategy {slot.name} is not running; nothing sent")
        if not orders:
            return []
        assert self._budget is not None and self.journal is not None
        assert self._dispatch is not None
        first = len(slot.intents) + 1
        rows = [OrderRow(line=first + i, order=o, tag=tag[:32]) for i, o in enumerate(orders)]
        problems = self._budget.take(rows, f"strategy {slot.name} order")
        if problems:
            raise OrderRefused(problems)
        if self._seq + len(rows) > MAX_ORDERS_PER_RUN:
            raise OrderRefused([InputProblem(slot.name, None, "the run's order ids are used up")])
        intents = []
        for row in rows:
            user_def = client_order_id(self.run_id, self._seq)
            order = msgspec.structs.replace(row.order, user_def=user_def)
            intents.append(
                Intent(seq=self._seq, line=row.line, tag=row.tag, order=order, strategy=slot.name)
            )
            self._seq += 1
        await self.journal.add_intents(self.run_id, intents)
        slot.intents.extend(intents)
        options = self._dispatch
        if slot.spec.pacing is not None:
            options = dataclasses.replace(options, pacing=slot.spec.pacing)
        dispatcher = Dispatcher(
            self.broker, slot.lane, self.journal, intents, options, clock=self.clock_offset
        )
        slot.dispatchers.append(dispatcher)
        slot.lane.note_submitted(len(intents))
        task = asyncio.create_task(self._dispatch_task(slot, dispatcher))
        slot.tasks.add(task)
        task.add_done_callback(slot.tasks.discard)
        return [intent.user_def for intent in intents]

    async def _dispatch_task(self, slot: Slot, dispatcher: Dispatcher) -> None:
        try:
            await dispatcher.run()
        except Exception as exc:  # the engine's own failure: the orders stay journaled
            log.warning("strategy %s: dispatch failed (%s)", slot.name, exc)
        slot.latencies_ns.extend(dispatcher.stats.latencies_ns)
        if dispatcher.fatal is not None and slot.error is None:
            slot.error = dispatcher.stop_reason
        if dispatcher.journal_failure is not None and slot.error is None:
            slot.error = f"{dispatcher.journal_failure}: sending stopped"
        for intent in dispatcher.intents:
            slot.queue.put_nowait(_update(intent))

    async def cancel(self, slot: Slot, user_def: str) -> bool:
        assert self.share is not None
        intent = next((i for i in slot.intents if i.user_def == user_def), None)
        if intent is None or intent.order_no is None:
            return False
        slots = await self.share.cancel_slots()
        try:
            answer = await self.broker.cancel(intent.order_no)
        finally:
            slots.release()
        # A refused cancel (39: already filled or cancelled) is an answer too, but no cancel.
        cancelled = answer.status.is_cancelled
        if cancelled:
            slot.cancels += 1
            slot.queue.put_nowait(_update(intent, state="cancelled"))
        return cancelled

    # -- results --------------------------------------------------------------------------

    def summary(self) -> Summary:
        summary = run_summary(
            self.slots, self.broker.name, self.broker.account, self.options.thresholds,
            self.clock_offset, self.loop_watch.stalls(),
        )  # fmt: skip
        summary.run_id = self.run_id or None
        summary.journal = self.journal.location if self.journal is not None else None
        return summary


def _first(exc: BaseException) -> BaseException:
    """The first error inside (nested) exception groups: what the strategy raised."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


class StrategyExit(TradeburstError):
    """A strategy's callback raised SystemExit or another BaseException."""


def _update(intent: Intent, state: str | None = None) -> OrderUpdate:
    return OrderUpdate(
        user_def=intent.user_def,
        tag=intent.tag,
        order=intent.order,
        state=state or str(intent.state),
        order_no=intent.order_no,
        status=intent.status,
        message=intent.message,
    )


def _timed_from_now(parent: TwapParent, clock: ExchangeTime) -> TwapParent:
    """A TWAP whose window was given as a length: it starts now (exchange time)."""
    now_s = clock.seconds_of_day()
    length_s = parent.end_s - parent.start_s
    return dataclasses.replace(parent, start_s=now_s, end_s=now_s + length_s)


async def run_strategies(
    config: RunConfig,
    broker: Broker,
    options: FireOptions,
    *,
    feed: FeedFactory | None = None,
    stop: asyncio.Event | None = None,
    watch: Callable[[StrategyRunner], None] | None = None,
) -> RunResult:
    """Check, then run every strategy of `config` on `broker`'s account."""
    async with throttle_link(options.throttle) as link:
        runner = StrategyRunner(config, broker, options, feed=feed, link=link)
        async with runner.closing:
            await runner.prepare()
            if watch is not None:
                watch(runner)
            return await runner.run(stop)
