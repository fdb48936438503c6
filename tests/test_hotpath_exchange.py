"""The exchange's market data in a tick ring (`--shm-feed`), and pre-built orders fired on
a warm socket reaching the exchange exactly once each."""

from __future__ import annotations

import asyncio
import itertools
import os

import aiohttp
import pytest

from tradeburst.exchange import ExchangeError
from tradeburst.hotpath import Kind, OrderWire, RingReader, Tick

from _support import ADMIN, KEY_A, Api, StartExchange, admin_orders, place

_names = itertools.count()


def feed_name() -> str:
    return f"tb-feed-{os.getpid()}-{next(_names)}"


def drain(reader: RingReader) -> list[Tick]:
    return list(iter(reader.poll, None))


async def test_trades_and_best_levels_reach_the_ring_in_milli_twd(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """A resting sell and a crossing buy show as book records and one trade record, with
    prices exact in thousandths of a TWD."""
    name = feed_name()
    exchange = await start_exchange(shm_feed=name)
    api = Api(session, exchange.url, KEY_A)
    with RingReader.attach(name, from_start=True) as reader:
        await place(api, symbol="2891", buy_sell="Sell", quantity=2000, price="40.65")
        await place(api, symbol="2891", buy_sell="Buy", quantity=1000, price="40.65")
        ticks = drain(reader)
    trades = [t for t in ticks if t.kind == Kind.TRADE]
    assert [(t.symbol_code, t.price_milli, t.quantity) for t in trades] == [("2891", 40650, 1000)]
    books = [t for t in ticks if t.kind == Kind.BOOK]
    assert books[-1].other_price_milli == 40650
    assert books[-1].other_quantity == 1000
    assert [t.number for t in ticks] == list(range(len(ticks)))


async def test_the_feed_is_gone_when_the_exchange_stops(start_exchange: StartExchange) -> None:
    """Stopping the exchange closes and removes its ring."""
    name = feed_name()
    exchange = await start_exchange(shm_feed=name)
    await exchange.aclose()
    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        RingReader.attach(name)


async def test_a_feed_name_in_use_is_refused_clearly(start_exchange: StartExchange) -> None:
    """A second exchange on the same ring name does not start, and says why."""
    name = feed_name()
    await start_exchange(shm_feed=name)
    with pytest.raises(ExchangeError, match="exists already"):
        await start_exchange(shm_feed=name)


async def test_pre_built_orders_on_a_warm_socket_are_placed_once_each(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """Each fired request is one order at the exchange, answered 200, on one connection."""
    exchange = await start_exchange()
    admin = Api(session, exchange.url, ADMIN)
    orders: list[dict[str, object]] = [
        {
            "symbol": "2891",
            "buy_sell": "Buy",
            "quantity": 1000,
            "price": "40.00",
            "user_def": f"WIRE{n:06d}",
        }
        for n in range(3)
    ]
    wire = OrderWire(exchange.url, KEY_A, orders)

    def fire_all() -> list[int]:
        with wire:
            statuses = []
            while wire.remaining:
                wire.fire()
                statuses.append(wire.answer()[0])
            return statuses

    assert await asyncio.to_thread(fire_all) == [200, 200, 200]
    tags = sorted(o["user_def"] for o in await admin_orders(admin))
    assert tags == ["WIRE000000", "WIRE000001", "WIRE000002"]
