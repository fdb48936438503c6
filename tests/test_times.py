"""Sending at the right time: one rule reads every exchange time (no zone, HH:MM:SS with up
to six decimals), a target that has passed is refused with nothing sent (a strategy's `at`
as much as `rush --at`), a strategy's `duration_s` bounds its sending, and no wait is longer
than the exchange day."""

from __future__ import annotations

import asyncio
import re
import tomllib
from datetime import time
from pathlib import Path

import aiohttp
import pytest
from typer.testing import CliRunner

from tradeburst.brokers import SimBroker
from tradeburst.cli import app
from tradeburst.clock import TimeOfDayError, duration_problem, format_wait, parse_time_of_day
from tradeburst.engine import FireOptions, InvalidInput
from tradeburst.exchange import Exchange
from tradeburst.strategies import StrategyRunner, read_config, run_strategies

from _engine_support import OPEN_CLOCK, placed
from _support import ADMIN, KEY_A, StartExchange

ORDER = '{symbol = "2891", side = "Buy", quantity = 1000, price = "40.60"}'


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("09:00:00", time(9)),
        ("13:29:59.5", time(13, 29, 59, 500_000)),
        ("08:59:59.999999", time(8, 59, 59, 999_999)),
    ],
)
def test_an_exchange_time_is_read(text: str, parsed: time) -> None:
    assert parse_time_of_day(text) == parsed


@pytest.mark.parametrize("text", ["01:00:00Z", "09:00:00+08:00", "09:00:00-0100", "09:00:00z"])
def test_a_time_with_a_zone_is_refused_as_such(text: str) -> None:
    with pytest.raises(TimeOfDayError, match="has a time zone"):
        parse_time_of_day(text)


@pytest.mark.parametrize(
    "text", ["9:00:00", "09:00", "0900", "25:00:00", "09:60:00", "０９:00:00", "09:00:00.1234567"]
)
def test_what_is_not_hh_mm_ss_is_refused(text: str) -> None:
    with pytest.raises(TimeOfDayError, match="HH:MM:SS"):
        parse_time_of_day(text)


def test_a_toml_local_time_is_an_exchange_time() -> None:
    value = tomllib.loads("at = 09:30:05")["at"]
    assert parse_time_of_day(value) == time(9, 30, 5)


@pytest.mark.parametrize("seconds", [1e308, float("inf"), float("nan"), -1.0, 86_401.0])
def test_a_duration_past_the_day_is_a_problem(seconds: float) -> None:
    assert duration_problem(seconds) is not None


def test_a_duration_within_the_day_is_not() -> None:
    assert duration_problem(0.0) is None and duration_problem(86_400.0) is None


def test_a_wait_reads_in_hours_and_minutes() -> None:
    assert format_wait(4 * 3600 + 30 * 60 + 5) == "4 h 30 min 5 s"
    assert format_wait(12.5) == "12.5 s"


# -- every entry point uses the rule -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["rush", "x.csv", "--at", "09:00:00Z"], "--at"),
        (["exchange", "--clock", "01:00:00Z"], "--clock"),
        (["run", "x.toml", "--exchange", "--clock", "09:00:00+08:00"], "--clock"),
    ],
)
def test_a_zone_on_the_command_line_is_refused_naming_the_option(
    args: list[str], option: str
) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert option in result.output and "time zone" in result.output, result.output


def test_an_absurd_delay_is_refused_before_anything(tmp_path: Path) -> None:
    """--delay-ms 1e308 would wait for ever between two chunks: exit 2 naming it."""
    orders = tmp_path / "o.csv"
    orders.write_text("symbol,side,quantity,price\n2891,Buy,1000,40.60\n")
    result = CliRunner().invoke(
        app,
        ["fire", str(orders), "--chunk-size", "1", "--delay-ms", "1e308", "--api-key", "k"],
    )
    assert result.exit_code == 2
    assert "--delay-ms" in result.output and "exchange day" in result.output, result.output


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        ('at = "01:00:00Z"\nbatches = [[' + ORDER + "]]\n", "at: '01:00:00Z' has a time zone"),
        (
            'kind = "twap"\nsymbol = "2891"\nside = "Buy"\nquantity = 1000\nslices = 1\n'
            "duration_s = 1e308\n",
            "duration_s: 1e+308 s is longer than the exchange day",
        ),
        (
            'kind = "python"\nclass = "m:C"\nduration_s = 1e308\n',
            "duration_s: 1e+308 s is longer than the exchange day",
        ),
        (
            "chunk_size = 1\ndelay_ms = 1e12\nbatches = [[" + ORDER + "]]\n",
            "delay_ms: 1e+09 s is longer than the exchange day",
        ),
    ],
)
def test_a_strategy_time_is_read_by_the_same_rule(tmp_path: Path, lines: str, reason: str) -> None:
    toml = tmp_path / "s.toml"
    toml.write_text('[[strategy]]\nname = "s"\n' + lines)
    with pytest.raises(InvalidInput, match=re.escape(reason)) as refused:
        read_config(toml, max_rows=10)
    message = str(refused.value.problems[0])
    assert "strategy 's'" in message and reason in message, message


# -- against the exchange -----------------------------------------------------------------


async def _runner(exchange: Exchange, toml: Path) -> StrategyRunner:
    runner = StrategyRunner(
        read_config(toml, max_rows=10_000),
        SimBroker(exchange.url, KEY_A),
        FireOptions(journal=toml.parent / "journal.sqlite"),
    )
    try:
        await runner.prepare()
    finally:
        await runner.broker.aclose()
    return runner


async def test_a_strategy_at_that_has_passed_is_refused_and_nothing_is_sent(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """At 09:30, `at = "09:00:00"` used to send at once; it is refused like `rush --at`."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK)
    toml = tmp_path / "past.toml"
    toml.write_text(f'[[strategy]]\nname = "late"\nat = "09:00:00"\nbatches = [[{ORDER}]]\n')
    with pytest.raises(InvalidInput, match="at 09:00:00 has passed") as refused:
        await _runner(exchange, toml)
    assert "strategy 'late'" in str(refused.value.problems[0])
    async with aiohttp.ClientSession() as session:
        assert await placed(session, exchange.url, ADMIN) == []


async def test_a_strategy_that_waits_says_until_when(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """An `at` four hours away is said before the run, with how long that is."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK)
    toml = tmp_path / "later.toml"
    toml.write_text(f'[[strategy]]\nname = "later"\nat = "13:29:00"\nbatches = [[{ORDER}]]\n')
    runner = await _runner(exchange, toml)
    (line,) = runner.waits()
    assert line.startswith("strategy 'later' waiting until 13:29:00 exchange time (in 3 h 59 min")


FLOOD = """
from decimal import Decimal

from tradeburst import Order, Side, Strategy


class Flood(Strategy):
    async def run(self) -> None:
        order = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"))
        await self.submit([order] * 1000)
"""


async def test_duration_s_bounds_the_sending_not_only_the_strategy(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """1000 orders queued at once under the Fubon limits (about 3 s of sending) with
    `duration_s = 1`: what was not sent by then is not sent, and counted as not sent."""
    exchange = await start_exchange(profile="fubon")
    (tmp_path / "flood.py").write_text(FLOOD)
    toml = tmp_path / "flood.toml"
    toml.write_text(
        '[[strategy]]\nname = "flood"\nkind = "python"\nclass = "flood:Flood"\nduration_s = 1\n'
    )
    broker = SimBroker(exchange.url, KEY_A)
    try:
        async with asyncio.timeout(30):
            result = await run_strategies(
                read_config(toml, max_rows=10_000),
                broker,
                FireOptions(journal=tmp_path / "journal.sqlite"),
            )
    finally:
        await broker.aclose()
    orders = result.summary.orders
    (slot,) = result.slots
    assert slot.time_up and slot.state == "time up"
    assert result.summary.strategies["flood"]["time_up"] is True
    assert orders.not_sent > 0
    assert orders.accepted + orders.rejected + orders.unknown + orders.not_sent == 1000
    async with aiohttp.ClientSession() as session:
        assert len(await placed(session, exchange.url, ADMIN)) == orders.accepted + orders.unknown
