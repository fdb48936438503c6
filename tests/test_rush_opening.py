"""A rush's opening as pre-built bytes on warm connections, against the real rehearsal
exchange: the opening requests go out that way (on connections the pool already held, so
the broker's connection limit is kept), each order is placed once and none before the
target; when the exchange places an opening order and loses its answer, the order is asked
about by its `user_def` and found, never sent again; a stop once the opening is built sends
none of it; the built requests are written in one step of the loop. Nothing here asserts
how fast."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from tradeburst.brokers import SimBroker
from tradeburst.brokers._opening import OpeningLane
from tradeburst.engine import FireOptions, FireResult, IntentState, exit_code, rush
from tradeburst.exchange import Exchange, FaultRates
from tradeburst.model import Order

from _engine_support import (
    COUNTING_FAULTS,
    QUICK_AGE_S,
    admin_stats,
    order_actions,
    placed,
    write_orders,
)
from _rush_support import (
    TARGET,
    assert_once_each,
    assert_received_from,
    assert_sent_from_target,
    clock_before,
    journal_run,
    on_exchange_day,
)
from _support import ADMIN, KEY_A, StartExchange

ORDERS = 40
BATCH = 5


class LaneCountingBroker(SimBroker):
    """The real client, counting the requests that went as pre-built bytes."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(url, key)
        self.prebuilt: list[str] = []

    async def _post_on(self, lane: OpeningLane, path: str) -> bytes:
        self.prebuilt.append(path)
        return await super()._post_on(lane, path)


async def rushed(exchange: Exchange, tmp_path: Path) -> tuple[FireResult, LaneCountingBroker]:
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=BATCH
    )
    async with LaneCountingBroker(exchange.url, KEY_A) as broker:
        result = await rush(source, broker, options, TARGET)
    return result, broker


async def test_the_opening_goes_as_prebuilt_bytes_and_each_order_once(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    exchange = await start_exchange(profile="fubon", clock=clock_before())
    target_ns = on_exchange_day(exchange.clock.now_ns(), TARGET)
    result, broker = await rushed(exchange, tmp_path)

    assert exit_code(result) == 0
    assert result.summary.orders.accepted == ORDERS
    assert result.dispatch is not None
    opening = len(result.dispatch.opening_sends_ns)
    assert opening > 1
    assert broker.prebuilt == ["/v1/orders/batch"] * opening
    records = await placed(session, exchange.url, ADMIN)
    assert_received_from(records, target_ns)
    intents, dispatches = journal_run(tmp_path / "run.sqlite")
    assert_once_each(records, intents)
    assert_sent_from_target(intents, dispatches[0])
    stats = await admin_stats(session, exchange.url, ADMIN)
    assert stats["connections_refused"] == 0  # borrowed from the pool, not opened beside it


async def test_a_lost_answer_at_the_prebuilt_opening_is_found_never_resent(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Every order is placed and its answer lost (the connection cut): the opening's orders
    too are settled by asking the exchange, each once."""
    exchange = await start_exchange(
        profile="fubon", clock=clock_before(), faults=FaultRates(ambiguous=1.0, stall_ms=0.0)
    )
    result, broker = await rushed(exchange, tmp_path)

    assert result.dispatch is not None
    opening = len(result.dispatch.opening_sends_ns)
    assert opening > 1
    assert len(broker.prebuilt) == opening
    records = await placed(session, exchange.url, ADMIN)
    assert Counter(r["user_def"] for r in records) == Counter(
        {f"{i.user_def}": 1 for i in result.intents}
    )
    intents, _ = journal_run(tmp_path / "run.sqlite")
    assert_once_each(records, intents)
    assert all(i.state is IntentState.ACCEPTED and i.by_query for i in intents)
    assert all(i.resent == 0 for i in intents)


class StepCountingBroker(SimBroker):
    """The real client, counting the loop's steps from the moment the opening is built,
    and noting at which step each opening request is written."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(url, key)
        self.steps = 0
        self.writes: list[tuple[int, bool]] = []
        self._counting = False

    async def prepare_opening(self, requests: Sequence[tuple[Sequence[Order], bool]]) -> None:
        await super().prepare_opening(requests)
        self._counting = True
        asyncio.get_running_loop().call_soon(self._step)

    def _step(self) -> None:
        self.steps += 1
        if self._counting:
            asyncio.get_running_loop().call_soon(self._step)

    def write_opening(self, index: int) -> bool:
        went = super().write_opening(index)
        self.writes.append((self.steps, went))
        return went

    def end_opening(self) -> None:
        self._counting = False
        super().end_opening()


async def test_the_prebuilt_opening_is_written_in_one_step_of_the_loop(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Every opening request is written before the loop runs anything else (no answer,
    journal commit or task in between), and each order is still placed once."""
    exchange = await start_exchange(profile="fubon", clock=clock_before())
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=BATCH
    )
    async with StepCountingBroker(exchange.url, KEY_A) as broker:
        result = await rush(source, broker, options, TARGET)

    assert exit_code(result) == 0
    assert result.dispatch is not None
    opening = len(result.dispatch.opening_sends_ns)
    assert opening > 1
    assert len(broker.writes) == opening
    assert all(went for _, went in broker.writes), broker.writes
    assert len({step for step, _ in broker.writes}) == 1, broker.writes
    assert broker.steps > 0  # the counter ran, so one step among the writes is real
    records = await placed(session, exchange.url, ADMIN)
    intents, _ = journal_run(tmp_path / "run.sqlite")
    assert_once_each(records, intents)


class StopOnceBuilt(SimBroker):
    """The real client; sets `stop` (as Ctrl-C does) the moment the opening is built."""

    def __init__(self, url: str, key: str, stop: asyncio.Event) -> None:
        super().__init__(url, key)
        self.stop = stop
        self.built = 0

    async def prepare_opening(self, requests: Sequence[tuple[Sequence[Order], bool]]) -> None:
        await super().prepare_opening(requests)
        self.built = len(requests)
        self.stop.set()
        for _ in range(2):  # the run's stop watcher is woken and stops the dispatcher
            await asyncio.sleep(0)


async def test_a_stop_once_the_opening_is_built_sends_none_of_it(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    exchange = await start_exchange(profile="fubon", clock=clock_before(), faults=COUNTING_FAULTS)
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=BATCH
    )
    stop = asyncio.Event()
    async with StopOnceBuilt(exchange.url, KEY_A, stop) as broker:
        result = await rush(source, broker, options, TARGET, stop=stop)
    assert broker.built > 1
    assert result.interrupted
    assert await order_actions(session, exchange.url, ADMIN) == 0
    assert await placed(session, exchange.url, ADMIN) == []
    intents, _ = journal_run(tmp_path / "run.sqlite")
    assert len(intents) == ORDERS
    assert all(i.state is IntentState.PENDING and i.attempts == 0 for i in intents)
