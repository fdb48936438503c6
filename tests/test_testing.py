"""`tradeburst.testing`, the public helpers for rehearsing: its names are pinned, the exchange
it starts serves on 127.0.0.1 and stops, its manual clock drives that exchange, and the
orders files it writes read back as the same orders."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from tradeburst import testing
from tradeburst.clock import TAIPEI
from tradeburst.engine import read_orders
from tradeburst.model import MarketType, Order, OrderType, PriceType, Side, TimeInForce
from tradeburst.testing import ManualClock, rehearsal_exchange, write_orders


def test_the_testing_names_are_pinned() -> None:
    """`tradeburst.testing.__all__` lists exactly these names, sorted, each documented."""
    assert testing.__all__ == ["ManualClock", "rehearsal_exchange", "write_orders"]
    assert all(getattr(testing, name).__doc__ for name in testing.__all__)


async def test_a_rehearsal_exchange_serves_on_localhost_until_the_block_ends() -> None:
    """Inside the block the exchange answers on 127.0.0.1; after it, it is closed."""
    async with (
        rehearsal_exchange(api_keys=("K",), clock_start=time(9, 30)) as exchange,
        aiohttp.ClientSession() as session,
    ):
        assert exchange.url.startswith("http://127.0.0.1:")
        headers = {"Authorization": "Bearer K"}
        async with session.get(exchange.url + "/v1/quotes/2891", headers=headers) as answer:
            assert answer.status == 200
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError, match="Cannot connect to host"):
            await session.get(exchange.url + "/v1/quotes/2891")


async def test_a_manual_clock_is_the_exchange_time() -> None:
    """The exchange tells the time of the manual clock it was given, and moves with it."""
    clock = ManualClock(datetime(2026, 11, 25, 9, 30, tzinfo=TAIPEI))
    async with rehearsal_exchange(clock=clock) as exchange:
        assert exchange.clock.now_ns() == clock.now_ns()
        before = exchange.clock.now_ns()
        clock.advance(timedelta(minutes=1))
        assert exchange.clock.now_ns() - before == 60 * 10**9


def test_written_orders_read_back_as_the_same_orders_and_tags(tmp_path: Path) -> None:
    """Every field survives the file, a market order has no price, tags default to t<i>."""
    orders = [
        Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60")),
        Order(
            symbol="0050",
            side=Side.SELL,
            quantity=37,
            price_twd=Decimal("0.01"),
            time_in_force=TimeInForce.IOC,
            market_type=MarketType.INTRADAY_ODD,
            order_type=OrderType.MARGIN,
        ),
        Order(symbol="2603", side=Side.BUY, quantity=2000, price_type=PriceType.MARKET),
    ]
    path = write_orders(tmp_path / "orders.csv", orders, tags=("first, with a comma",))
    rows, problems = read_orders(path)
    assert problems == []
    assert [row.order for row in rows] == orders
    assert [row.tag for row in rows] == ["first, with a comma", "t1", "t2"]
    assert [row.line for row in rows] == [2, 3, 4]
