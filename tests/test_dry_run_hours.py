"""`--dry-run` warns when the broker's market would refuse the orders at the time they
would leave: the exchange's clock now for `fire`, the target for `rush`. The warning is
checked against what the real exchange then does with the same orders."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import aiohttp

from tradeburst.brokers import SimBroker
from tradeburst.engine import FireOptions, fire, rush
from tradeburst.engine._hours import hours_warnings
from tradeburst.exchange import Exchange
from tradeburst.model import Order, PriceType, Side, TimeInForce

from _engine_support import (
    COUNTING_FAULTS,
    QUICK_AGE_S,
    order_actions,
    order_line,
    placed,
    run_cli,
    write_orders,
)
from _support import ADMIN, KEY_A, StartExchange, clock_at

CLOSED = "the market is closed (orders are taken 08:30-13:30 Asia/Taipei)"


async def closed_exchange(start_exchange: StartExchange, **config: object) -> Exchange:
    """An exchange whose clock stands at 07:00, before the pre-open."""
    return await start_exchange(
        clock=clock_at(7, 0), always_open=False, faults=COUNTING_FAULTS, **config
    )


def options(tmp_path: Path) -> FireOptions:
    return FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite")


async def test_a_dry_run_before_the_pre_open_warns_that_the_market_is_closed(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """At 07:00 exchange time every order would be refused: one line says so, with a count."""
    exchange = await closed_exchange(start_exchange)
    source = write_orders(tmp_path / "orders.csv", 3)
    async with SimBroker(exchange.url, KEY_A) as broker:
        result = await fire(source, broker, options(tmp_path), dry_run=True)
    assert result.warnings == [
        f"at 07:00:00 exchange time {CLOSED}: 3 of 3 orders would be rejected"
    ]


async def test_the_exchange_refuses_what_the_dry_run_warned_of(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """The same orders sent for real at the same exchange time are rejected for that reason."""
    exchange = await start_exchange(clock=clock_at(7, 0), always_open=False)
    source = write_orders(tmp_path / "orders.csv", 3)
    async with SimBroker(exchange.url, KEY_A) as broker:
        result = await fire(source, broker, options(tmp_path))
    assert result.summary.orders.rejected == 3
    assert {i.message for i in result.intents} == {CLOSED}


async def test_a_dry_run_in_continuous_trading_warns_of_nothing(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """At 09:30 the market takes every kind of order: no warning."""
    exchange = await start_exchange(clock=clock_at(9, 30), always_open=False)
    source = write_orders(
        tmp_path / "orders.csv",
        2,
        extra=[order_line(9, price="", price_type="Market", time_in_force="IOC")],
    )
    async with SimBroker(exchange.url, KEY_A) as broker:
        result = await fire(source, broker, options(tmp_path), dry_run=True)
    assert result.warnings == []


async def test_an_always_open_exchange_gets_no_warning_at_any_hour(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """An exchange started --always-open says so in /v1/limits, and at 07:00 nothing warns."""
    exchange = await start_exchange(clock=clock_at(7, 0), always_open=True)
    source = write_orders(tmp_path / "orders.csv", 2)
    async with SimBroker(exchange.url, KEY_A) as broker:
        assert broker.capabilities.always_open
        result = await fire(source, broker, options(tmp_path), dry_run=True)
    assert result.warnings == []


async def test_a_rush_dry_run_is_judged_at_its_target_not_now(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """A rush at 08:45 (pre-open): the limit orders pass, the market IOC order is named."""
    exchange = await closed_exchange(start_exchange)
    market_ioc = order_line(9, price="", price_type="Market", time_in_force="IOC")
    source = write_orders(tmp_path / "orders.csv", 2, extra=[market_ioc])
    async with SimBroker(exchange.url, KEY_A) as broker:
        result = await rush(source, broker, options(tmp_path), time(8, 45), dry_run=True)
    assert result.warnings == [
        "at 08:45:00 exchange time market orders are taken only in continuous trading, "
        "not in pre_open: 1 of 3 orders would be rejected"
    ]


def test_each_reason_is_one_line_however_many_orders_it_refuses() -> None:
    """Many orders under one reason make one line with their count, not one line each."""
    limit = Order(
        symbol="2891", side=Side.BUY, quantity=1000, price_twd=None, price_type=PriceType.LIMIT_UP
    )
    ioc = Order(
        symbol="2891", side=Side.BUY, quantity=1000, price_type=PriceType.MARKET,
        time_in_force=TimeInForce.IOC,
    )  # fmt: skip
    lines = hours_warnings([limit] * 500 + [ioc] * 7, time(13, 27))
    assert lines == [
        "at 13:27:00 exchange time market orders are taken only in continuous trading, "
        "not in closing_call: 7 of 507 orders would be rejected"
    ]
    assert hours_warnings([limit, ioc], time(10, 0)) == []


async def test_the_cli_prints_the_warning_and_sends_nothing(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """`fire --dry-run` at 07:00 prints the warning in its output, exits 0, sends nothing."""
    exchange = await closed_exchange(start_exchange)
    source = write_orders(tmp_path / "orders.csv", 4)
    run = await run_cli(
        "fire", str(source), "--url", exchange.url, "--api-key", KEY_A, "--dry-run",
        "--journal", str(tmp_path / "run.sqlite"), cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.output
    assert f"warning: at 07:00:00 exchange time {CLOSED}: 4 of 4 orders" in " ".join(
        run.stdout.split()
    )
    assert await placed(session, exchange.url, ADMIN) == []
    assert await order_actions(session, exchange.url, ADMIN) == 0
