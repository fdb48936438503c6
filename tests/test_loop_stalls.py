"""A strategy that blocks the event loop is named, and the broker is not blamed for it: a
`time.sleep` in one strategy's `on_tick`, while another's orders wait for their answers,
used to make those orders look severe. The run's summary now names the strategy and the
callback that held the loop, and counts the answers that waited on it as stalled."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tradeburst.brokers import SimBroker
from tradeburst.engine import FireOptions
from tradeburst.exchange import NetworkModel
from tradeburst.marketdata import MarketFeed
from tradeburst.strategies import LoopWatch, read_config, run_strategies, stall_lines
from tradeburst.summary import LatencyThresholds, LoopStall

from _engine_support import QUICK_AGE_S
from _support import KEY_A, StartExchange

HOLD_S = 0.6
"""How long the sleepy strategy blocks the loop: past the severe threshold below."""
THRESHOLDS = LatencyThresholds(realtime_ms=300, delayed_ms=500)
ORDERS = 5

STRATEGIES = f"""
import asyncio
import time
from decimal import Decimal

from tradeburst import Order, Side, Strategy

IN_FLIGHT = asyncio.Event()


class Sender(Strategy):
    async def run(self) -> None:
        self.answers = 0
        self.settled = asyncio.Event()
        order = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"))
        await self.submit([order] * {ORDERS})
        await asyncio.sleep(0.02)  # on their way: the exchange takes 100 ms to answer
        IN_FLIGHT.set()
        await self.settled.wait()

    async def on_order(self, update) -> None:
        self.answers += 1
        if self.answers == {ORDERS}:
            self.settled.set()


class Sleepy(Strategy):
    symbols = ["2891"]

    async def on_tick(self, tick) -> None:
        if not self.stopped:
            await IN_FLIGHT.wait()
            time.sleep({HOLD_S})  # the mistake: a blocking call on the shared loop
            self.stop()
"""


async def test_a_sleeping_strategy_is_named_and_the_broker_not_blamed(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """The sender's answers came while the sleepy strategy held the loop: they are stalled,
    not severe, and the summary says 'sleepy' held the loop in on_tick."""
    exchange = await start_exchange(network=NetworkModel(latency_ms=100))
    (tmp_path / "stallers.py").write_text(STRATEGIES)
    toml = tmp_path / "run.toml"
    toml.write_text(
        '[[strategy]]\nname = "sender"\nkind = "python"\nclass = "stallers:Sender"\n'
        '[[strategy]]\nname = "sleepy"\nkind = "python"\nclass = "stallers:Sleepy"\n'
    )
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S, journal=tmp_path / "j.sqlite", thresholds=THRESHOLDS
    )
    async with SimBroker(exchange.url, KEY_A) as broker, asyncio.timeout(30):
        result = await run_strategies(
            read_config(toml, max_rows=100), broker, options,
            feed=lambda symbols: MarketFeed(exchange.url, KEY_A, symbols),
        )  # fmt: skip
    summary = result.summary
    assert summary.orders.accepted == ORDERS
    sender = next(slot for slot in result.slots if slot.name == "sender")
    waits_ms = [(i.answered_ns - i.sent_ns) / 1e6 for i in sender.intents]
    assert min(waits_ms) >= THRESHOLDS.delayed_ms, waits_ms  # severe, had the loop been blamed
    assert summary.loop is not None
    assert (summary.classification.severe, summary.loop.stalled_answers) == (0, ORDERS)
    named = [s for s in summary.loop.stalls if s.held_by is not None]
    assert [(s.held_by, s.callback) for s in named] == [("sleepy", "on_tick")]
    assert named[0].held_ms >= HOLD_S * 1000


async def test_the_heartbeat_sees_a_stall_no_strategy_explains() -> None:
    """The loop blocked outside any timed step is still seen, held by no strategy."""
    watch = LoopWatch(stall_s=0.1, heartbeat_s=0.01)
    heartbeat = asyncio.create_task(watch.heartbeat())
    await asyncio.sleep(0.02)  # let the heartbeat start its first wait
    time.sleep(0.3)  # noqa: ASYNC251 - the stall under test
    await asyncio.sleep(0.05)  # the heartbeat wakes late, and notes it
    heartbeat.cancel()
    with pytest.raises(asyncio.CancelledError):
        await heartbeat
    stalls = watch.stalls()  # a loaded machine may add stalls of its own: none is named
    assert stalls and all(stall.held_by is None for stall in stalls)
    assert max(stall.held_ms for stall in stalls) >= 250


async def test_a_timed_step_keeps_what_the_callback_returns_and_raises() -> None:
    """Timing a callback changes nothing it does: its result, its error, a cancel."""
    watch = LoopWatch(stall_s=0.1)

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("the model blew up")

    assert await watch.timed("s", "run", answer()) == 42
    with pytest.raises(ValueError, match="the model blew up"):
        await watch.timed("s", "on_tick", fails())
    forever = asyncio.create_task(watch.timed("s", "run", asyncio.Event().wait()))
    await asyncio.sleep(0)
    forever.cancel()
    with pytest.raises(asyncio.CancelledError):
        await forever


async def test_a_long_step_is_named_and_short_ones_are_not() -> None:
    """Only a step that holds the loop past the threshold is a stall, named by its holder."""
    watch = LoopWatch(stall_s=0.1)

    async def steps() -> None:
        await asyncio.sleep(0)
        time.sleep(0.15)  # noqa: ASYNC251 - the stall under test
        await asyncio.sleep(0)

    await watch.timed("slow", "on_order", steps())
    [stall] = watch.stalls()
    assert (stall.held_by, stall.callback) == ("slow", "on_order")
    assert stall.held_ms >= 150


def test_stalls_are_listed_once_per_holder_with_the_longest() -> None:
    """Many stalls of one callback make one line; an unnamed one says no strategy held it."""
    stalls = [
        LoopStall(held_by="sleepy", callback="on_tick", started_ns=1, held_ms=600.0),
        LoopStall(held_by="sleepy", callback="on_tick", started_ns=2, held_ms=5000.0),
        LoopStall(held_by=None, callback=None, started_ns=3, held_ms=250.0),
    ]
    assert stall_lines(stalls) == [
        "strategy 'sleepy' held the event loop in on_tick 2 times, longest 5.00 s",
        "the event loop was held outside any strategy's code 1 time, longest 0.25 s",
    ]
