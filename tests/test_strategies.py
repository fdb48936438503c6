"""`tradeburst run`'s runner against the real exchange: two strategies weighted 3:1 that
both saturate the account's budget get 3:1 of it (counted from the exchange's own receive
records); a strategy that raises is stopped and reported while the other finishes, and
what it had sent is still settled; a bad strategies file sends nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from _journal_support import read_journal
from tradeburst.brokers import SimBroker
from tradeburst.engine import FireOptions, InvalidInput
from tradeburst.exchange import Exchange, FaultRates
from tradeburst.marketdata import MarketFeed
from tradeburst.strategies import RunResult, read_config, run_strategies

from _engine_support import OPEN_CLOCK, QUICK_AGE_S, admin_stats, placed
from _support import ADMIN, KEY_A, StartExchange

ORDER = '{symbol = "2891", side = "Buy", quantity = 1000, price = "40.60"}'


def _batch(count: int) -> str:
    return "[[" + ", ".join([ORDER] * count) + "]]"


async def _run(exchange: Exchange, toml: Path, **options: Any) -> RunResult:
    config = read_config(toml, max_rows=10_000)
    broker = SimBroker(exchange.url, KEY_A)
    try:
        return await run_strategies(
            config,
            broker,
            FireOptions(
                max_request_age_s=QUICK_AGE_S, journal=toml.parent / "journal.sqlite", **options
            ),
            feed=lambda symbols: MarketFeed(exchange.url, KEY_A, symbols),
        )
    finally:
        await broker.aclose()


async def test_two_saturating_strategies_share_the_budget_by_weight(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """Weights 3 and 1, single orders under the Fubon limits: until the heavier one is done,
    the exchange received 3 of its orders for each of the lighter one's (±1/2: the sharing
    is work-conserving, so on a starved machine the lighter takes a slot the heavier was
    not yet waiting for; 149 to 56 was seen beside 14 other processes; 1:1 or 2:1 fails)."""
    exchange = await start_exchange(profile="fubon")
    toml = tmp_path / "fair.toml"
    toml.write_text(
        f'[[strategy]]\nname = "heavy"\nweight = 3\nbatches = {_batch(150)}\n'
        f'[[strategy]]\nname = "light"\nweight = 1\nbatches = {_batch(150)}\n'
    )
    result = await _run(exchange, toml, max_batch=1)
    assert result.summary.orders.accepted == 300
    assert result.summary.rate_limit_rejections == 0
    owner = {i.user_def: slot.name for slot in result.slots for i in slot.intents}
    async with aiohttp.ClientSession() as session:
        records = await placed(session, exchange.url, ADMIN)
    received = sorted((r["received_ns"], owner[r["user_def"]]) for r in records)
    heavy_done_ns = max(ns for ns, name in received if name == "heavy")
    # Both compete once both are journaled: the first to submit may send while the other's
    # intents are still being committed (off the loop), so count from the later's first.
    both_ns = max(min(ns for ns, name in received if name == who) for who in ("heavy", "light"))
    saturated = [name for ns, name in received if both_ns <= ns <= heavy_done_ns]
    heavy, light = saturated.count("heavy"), saturated.count("light")
    assert [name for _, name in received].count("heavy") == 150
    assert 2.5 <= heavy / light <= 3.5, (heavy, light)
    shares = result.summary.strategies
    assert shares["heavy"]["sent"] == shares["light"]["sent"] == 150


BROKEN = """
from decimal import Decimal

from tradeburst import Order, Side, Strategy


class Broken(Strategy):
    async def run(self) -> None:
        order = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"))
        await self.submit([order, order])
        raise RuntimeError("the model blew up")
"""


ONE_BY_ONE = """
from decimal import Decimal

from tradeburst import Order, Side, Strategy


class OneByOne(Strategy):
    async def run(self) -> None:
        for number in range(120):
            order = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"))
            await self.submit(order, tag=f"o{number}")
"""


async def test_a_strategy_submitting_past_the_slots_in_flight_gets_every_order_sent(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """120 single submits under the Fubon limits, each its own dispatcher: once the first
    45 hold every slot the cancel reserve leaves, the next must still be sent when their
    answers free one (it used to wait forever)."""
    exchange = await start_exchange(profile="fubon")
    (tmp_path / "one_by_one.py").write_text(ONE_BY_ONE)
    toml = tmp_path / "one.toml"
    toml.write_text('[[strategy]]\nname = "one"\nkind = "python"\nclass = "one_by_one:OneByOne"\n')
    async with asyncio.timeout(30):
        result = await _run(exchange, toml, max_batch=1)
    assert result.summary.orders.accepted == 120
    assert result.summary.rate_limit_rejections == 0
    async with aiohttp.ClientSession() as session:
        assert len(await placed(session, exchange.url, ADMIN)) == 120


CANCEL_TWICE = """
import asyncio
import json
from decimal import Decimal

from tradeburst import Order, Side, Strategy


class CancelTwice(Strategy):
    async def on_start(self) -> None:
        self.accepted = asyncio.Event()
        self.states: list[str] = []

    async def run(self) -> None:
        order = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.00"))
        [user_def] = await self.submit(order)
        await self.accepted.wait()
        first, second = await self.cancel(user_def), await self.cancel(user_def)
        await asyncio.sleep(0.05)  # the updates the cancels queued
        with open(self.params["out"], "w") as out:
            json.dump({"first": first, "second": second, "states": self.states}, out)

    async def on_order(self, update) -> None:
        self.states.append(update.state)
        if update.state == "accepted":
            self.accepted.set()
"""


async def test_a_second_cancel_is_refused_and_reported_as_no_cancel(
    exchange: Exchange, tmp_path: Path
) -> None:
    """A resting order cancelled twice: the first cancel takes, the second is refused by
    the exchange (status 39), so it returns False, sends no update, and is not counted."""
    (tmp_path / "cancel_twice.py").write_text(CANCEL_TWICE)
    out = tmp_path / "cancels.json"
    toml = tmp_path / "cancel.toml"
    toml.write_text(
        '[[strategy]]\nname = "c"\nkind = "python"\nclass = "cancel_twice:CancelTwice"\n'
        f'params = {{ out = "{out}" }}\n'
    )
    async with asyncio.timeout(30):
        result = await _run(exchange, toml)
    seen = json.loads(out.read_text())
    assert (seen["first"], seen["second"]) == (True, False)
    assert seen["states"] == ["accepted", "cancelled"]
    assert result.summary.strategies["c"]["cancels"] == 1


async def test_a_twap_whose_window_has_passed_sends_nothing_and_reports_it_all_left(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """09:00-09:10 at 09:30: no child goes out after the window, the parent is left."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    toml = tmp_path / "late.toml"
    toml.write_text(
        '[[strategy]]\nname = "late"\nkind = "twap"\nsymbol = "2891"\nside = "Buy"\n'
        'quantity = 10000\nstart = "09:00:00"\nend = "09:10:00"\nslices = 5\n'
    )
    async with asyncio.timeout(30):
        result = await _run(exchange, toml)
    twap = result.summary.strategies["late"]["twap"]
    assert (twap["sent_shares"], twap["left_shares"]) == (0, 10_000)
    async with aiohttp.ClientSession() as session:
        assert await placed(session, exchange.url, ADMIN) == []


async def test_a_twap_timed_from_the_runs_start_sends_every_slice(
    exchange: Exchange, tmp_path: Path
) -> None:
    """duration_s = 3, three slices: the first goes at the start, none is counted missed
    for the microseconds between timing the window and running it, every lot is sent."""
    toml = tmp_path / "timed.toml"
    toml.write_text(
        '[[strategy]]\nname = "timed"\nkind = "twap"\nsymbol = "2891"\nside = "Buy"\n'
        "quantity = 3000\nduration_s = 3\nslices = 3\n"
    )
    async with asyncio.timeout(30):
        result = await _run(exchange, toml)
    twap = result.summary.strategies["timed"]["twap"]
    assert (twap["slices_done"], twap["sent_shares"], twap["left_shares"]) == (3, 3000, 0)
    assert result.summary.orders.accepted == 3


async def test_a_raising_strategy_is_stopped_and_the_other_goes_on(
    exchange: Exchange, tmp_path: Path
) -> None:
    """The broken strategy fails with its error reported; its two orders are still
    settled; the healthy one sends all 40 of its orders."""
    (tmp_path / "broken_strategy.py").write_text(BROKEN)
    toml = tmp_path / "iso.toml"
    toml.write_text(
        '[[strategy]]\nname = "broken"\nkind = "python"\nclass = "broken_strategy:Broken"\n'
        f'[[strategy]]\nname = "healthy"\nbatches = {_batch(20)}\nchunk_size = 3\n'
        f"delay_ms = 5\n"
        f'[[strategy]]\nname = "healthy2"\nbatches = {_batch(20)}\n'
    )
    result = await _run(exchange, toml)
    by_name = {slot.name: slot for slot in result.slots}
    assert by_name["broken"].state == "failed"
    assert "the model blew up" in (by_name["broken"].error or "")
    assert by_name["broken"].counts().accepted == 2
    assert by_name["healthy"].state == by_name["healthy2"].state == "done"
    assert result.summary.orders.accepted == 42
    assert result.summary.strategies["broken"]["error"].startswith("RuntimeError")


async def test_a_bad_order_in_any_strategy_sends_nothing(
    exchange: Exchange, tmp_path: Path
) -> None:
    """An off-tick price in the second strategy: InvalidInput naming it, no order placed."""
    toml = tmp_path / "bad.toml"
    toml.write_text(
        f'[[strategy]]\nname = "fine"\nbatches = {_batch(3)}\n'
        '[[strategy]]\nname = "off"\n'
        'batches = [[{symbol = "2891", side = "Buy", quantity = 1000, price = "40.63"}]]\n'
    )
    with pytest.raises(InvalidInput, match=r"strategy 'off'.*tick") as refused:
        await _run(exchange, toml)
    assert any("strategy 'off'" in str(p) and "tick" in str(p) for p in refused.value.problems)
    async with aiohttp.ClientSession() as session:
        assert await placed(session, exchange.url, ADMIN) == []


def test_a_float_price_in_the_file_is_refused_with_its_place(tmp_path: Path) -> None:
    """price = 40.6 (a TOML float) is refused, naming the strategy and the order."""
    toml = tmp_path / "float.toml"
    toml.write_text(
        '[[strategy]]\nname = "f"\n'
        'batches = [[{symbol = "2891", side = "Buy", quantity = 1000, price = 40.6}]]\n'
    )
    with pytest.raises(InvalidInput, match="strategy 'f'") as refused:
        read_config(toml, max_rows=10)
    message = str(refused.value.problems[0])
    assert "strategy 'f'" in message and "batches[0][0]" in message and "string" in message


TWAP = '[[strategy]]\nname = "t"\nkind = "twap"\nsymbol = "2891"\nside = "Buy"\nquantity = 5000\n'


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        pytest.param(
            'batches = [[{symbol = "2891", side = "Buy", quantity = 1000, price = "1e30"}]]\n',
            "price '1e30' is not a price written plainly",
            id="exponent-price",
        ),
        pytest.param(
            'batches = [[{symbol = "2891", side = "Buy", quantity = 1000, price = "NaN"}]]\n',
            "price 'NaN' is not a price written plainly",
            id="nan-price",
        ),
        pytest.param(
            f"weight = inf\nbatches = {_batch(1)}\n",
            "weight must be a positive number",
            id="infinite-weight",
        ),
        pytest.param(
            f"weight = 1{'0' * 400}\nbatches = {_batch(1)}\n",
            "weight must be a positive number",
            id="weight-past-floats",
        ),
        pytest.param(
            f"delay_ms = nan\nchunk_size = 1\nbatches = {_batch(1)}\n",
            "delay_ms must be a number of at least 0",
            id="nan-delay",
        ),
    ],
)
def test_a_strategy_value_no_price_or_time_can_be_is_named(
    tmp_path: Path, lines: str, reason: str
) -> None:
    """An exponent, NaN or infinity is refused as the orders file refuses it, naming the
    strategy, instead of failing later with a traceback."""
    toml = tmp_path / "bad.toml"
    toml.write_text('[[strategy]]\nname = "s"\n' + lines)
    with pytest.raises(InvalidInput, match=re.escape(reason)) as refused:
        read_config(toml, max_rows=10)
    message = str(refused.value.problems[0])
    assert "strategy 's'" in message and reason in message, message


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        pytest.param(
            'start = "09:00:00"\nend = "09:10:00"\nslices = 5\nparticipation = 0.1\n',
            'write participation as a string (participation = "0.1")',
            id="float-participation",
        ),
        pytest.param(
            "duration_s = inf\nslices = 5\n",
            "duration_s must be a positive number",
            id="infinite-duration",
        ),
    ],
)
def test_a_bad_twap_value_names_its_own_key(tmp_path: Path, lines: str, reason: str) -> None:
    toml = tmp_path / "twap.toml"
    toml.write_text(TWAP + lines)
    with pytest.raises(InvalidInput, match=re.escape(reason)) as refused:
        read_config(toml, max_rows=10)
    message = str(refused.value.problems[0])
    assert "strategy 't'" in message and reason in message, message


def test_a_strategies_file_nested_past_the_parser_is_named(tmp_path: Path) -> None:
    toml = tmp_path / "deep.toml"
    toml.write_text('[[strategy]]\nname = "d"\nbatches = ' + "[" * 100_000 + "]" * 100_000)
    with pytest.raises(InvalidInput, match="not a run: nested too deeply") as refused:
        read_config(toml, max_rows=10)
    assert str(refused.value.problems[0]) == f"{toml}: not a run: nested too deeply"


async def test_a_run_cut_off_mid_way_has_already_kept_its_clock_estimate(
    exchange: Exchange, tmp_path: Path
) -> None:
    """A TWAP over a minute, cancelled after its first slice: the run's dispatch row,
    kept before anything was sent, holds the clock estimate `report` grades by."""
    toml = tmp_path / "long.toml"
    toml.write_text(
        '[[strategy]]\nname = "long"\nkind = "twap"\nsymbol = "2891"\nside = "Buy"\n'
        "quantity = 6000\nduration_s = 60\nslices = 6\n"
    )
    running = asyncio.create_task(_run(exchange, toml))
    async with aiohttp.ClientSession() as session, asyncio.timeout(30):
        # The exchange's order list has no event to wait on; polled, bounded.
        while not await placed(session, exchange.url, ADMIN):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    snapshot = read_journal(tmp_path / "journal.sqlite")
    [dispatch] = snapshot.dispatches
    sent = [i.sent_ns for i in snapshot.intents if i.sent_ns]
    assert sent and dispatch.started_ns <= min(sent)
    assert dispatch.rtt_ns > 0


async def test_a_runs_summary_counts_the_orders_found_by_asking_the_broker(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """Answers lost by the exchange (ambiguous faults) are settled by a query: the run's
    summary counts them as found placed, the same number the exchange lost, split by
    strategy."""
    exchange = await start_exchange(
        faults=FaultRates(ambiguous=0.1, stall_ms=0.0), seed=11, always_open=True
    )
    toml = tmp_path / "lossy.toml"
    toml.write_text(
        f'[[strategy]]\nname = "a"\nbatches = {_batch(40)}\n'
        f'[[strategy]]\nname = "b"\nbatches = {_batch(40)}\n'
    )
    result = await _run(exchange, toml, max_batch=1)
    async with aiohttp.ClientSession() as session:
        lost = (await admin_stats(session, exchange.url, ADMIN))["faults"]["ambiguous"]
    orders = result.summary.orders
    assert lost > 0
    assert (orders.accepted, orders.unknown, orders.found_placed) == (80, 0, lost)
    per_strategy = result.summary.strategies
    assert (
        per_strategy["a"]["orders"]["found_placed"] + per_strategy["b"]["orders"]["found_placed"]
        == lost
    )
