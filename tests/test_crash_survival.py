"""Crash survival: the exchange runs as its own process (`python -m tradeburst exchange`),
takes orders, is killed with SIGKILL, and restarts on the same --db. Every order it
acknowledged must come back with the same status and fills, and resting orders must be
back in the book, in the same queue order."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import aiohttp
import pytest

from _support import KEY_A, Api, StartExchange, clock_at, order, orders_of, place, quote

KEY = "K"
ADMIN_KEY = "A"
LISTENING = re.compile(r"tradeburst exchange listening on (http://\S+)")
START_TIMEOUT_S = 30.0


class Process:
    """One `tradeburst exchange` process on a port of its own choosing."""

    def __init__(self, db: Path) -> None:
        self.stderr = db.with_name(f"{db.name}.{time.monotonic_ns()}.stderr")
        with self.stderr.open("w") as stderr:
            self.popen = self._spawn(db, stderr)
        self.url = ""

    @staticmethod
    def _spawn(db: Path, stderr: IO[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [
                sys.executable, "-m", "tradeburst", "exchange",
                "--port", "0", "--db", str(db), "--always-open", "--no-liquidity",
                "--profile", "none", "--api-key", KEY, "--admin-key", ADMIN_KEY, "--seed", "1",
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )  # fmt: skip

    async def started(self) -> str:
        """The URL from the first line the exchange prints."""
        assert self.popen.stdout is not None
        async with asyncio.timeout(START_TIMEOUT_S):
            line = await asyncio.to_thread(self.popen.stdout.readline)
        match = LISTENING.search(line)
        assert match, f"first line {line!r}; stderr: {self.stderr.read_text()[-2000:]}"
        self.url = match.group(1)
        return self.url

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no final flush."""
        self.popen.kill()
        self.popen.wait()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        if process.popen.stdout is not None:
            process.popen.stdout.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "x.db"


@pytest.fixture
async def fresh_session() -> AsyncIterator[aiohttp.ClientSession]:
    """A session whose connections never outlive a killed server."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as client:
        yield client


async def _start(processes: list[Process], db: Path, session: aiohttp.ClientSession) -> Api:
    process = Process(db)
    processes.append(process)
    return Api(session, await process.started(), KEY)


def _state(records: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """What must survive, per order number."""
    return {
        r["order_no"]: (r["status"], r["filled_qty"], r["filled_money"], r["after_qty"],
                        r["after_price"], r["user_def"])
        for r in records
        if r["order_no"] is not None
    }  # fmt: skip


def _mixed_orders(count: int) -> list[dict[str, Any]]:
    """`place` arguments: orders that trade with each other, and orders that rest."""
    orders: list[dict[str, Any]] = []
    for i in range(count):
        match i % 4:
            case 0:
                orders.append({"side": "Sell", "price": "40.60", "user_def": f"S{i}"})
            case 1:
                orders.append({"side": "Buy", "price": "40.60", "user_def": f"B{i}"})
            case 2:
                orders.append({"side": "Buy", "price": f"40.{i % 5}0", "user_def": f"R{i}"})
            case _:
                orders.append({"side": "Sell", "price": "41.00", "quantity": 2000})
    return orders


async def test_every_acknowledged_order_survives_a_kill(
    processes: list[Process], db: Path, fresh_session: aiohttp.ClientSession
) -> None:
    """200 acknowledged orders come back after SIGKILL with the same status and fills."""
    api = await _start(processes, db, fresh_session)
    acknowledged = set()
    for fields in _mixed_orders(200):
        acknowledged.add((await place(api, **fields))["order_no"])
    before = _state(await orders_of(api))
    processes[-1].kill()

    api = await _start(processes, db, fresh_session)
    after = _state(await orders_of(api))
    assert acknowledged <= set(after)
    assert after == before


async def test_resting_orders_are_back_in_the_book(
    processes: list[Process], db: Path, fresh_session: aiohttp.ClientSession
) -> None:
    """After the restart the quote shows the same levels as before the kill."""
    api = await _start(processes, db, fresh_session)
    for fields in _mixed_orders(40):
        await place(api, **fields)
    before = await quote(api)
    processes[-1].kill()

    api = await _start(processes, db, fresh_session)
    after = await quote(api)
    assert (after["bids"], after["asks"]) == (before["bids"], before["asks"])
    assert after["bids"] and after["asks"]


async def test_restored_orders_keep_their_queue_order(
    processes: list[Process], db: Path, fresh_session: aiohttp.ClientSession
) -> None:
    """A sell after the restart fills the earliest of three same-price bids first."""
    api = await _start(processes, db, fresh_session)
    bids = [(await place(api, price="40.50", user_def=f"Q{i}"))["order_no"] for i in range(3)]
    processes[-1].kill()

    api = await _start(processes, db, fresh_session)
    sell = await place(api, side="Sell", price="40.50")
    assert sell["status"] == 50
    by_no = {r["order_no"]: r for r in await orders_of(api)}
    assert [by_no[no]["status"] for no in bids] == [50, 10, 10]


async def test_a_repriced_order_stays_behind_after_a_restart(
    processes: list[Process], db: Path, fresh_session: aiohttp.ClientSession
) -> None:
    """An order repriced to a level joins its back, and is still there after the restart."""
    api = await _start(processes, db, fresh_session)
    repriced = (await place(api, price="40.45", user_def="LATER"))["order_no"]
    first = (await place(api, price="40.50", user_def="FIRST"))["order_no"]
    status, body = await api.post(f"/v1/orders/{repriced}/modify-price", {"price": "40.50"})
    assert (status, body["is_success"]) == (200, True)
    processes[-1].kill()

    api = await _start(processes, db, fresh_session)
    await place(api, side="Sell", price="40.50")
    by_no = {r["order_no"]: r for r in await orders_of(api)}
    assert (by_no[first]["status"], by_no[repriced]["status"]) == (50, 10)


async def test_a_partly_filled_order_keeps_trading_after_a_restart(
    processes: list[Process], db: Path, fresh_session: aiohttp.ClientSession
) -> None:
    """The open rest of a partly filled order is what trades after the restart, no more."""
    api = await _start(processes, db, fresh_session)
    buy = await place(api, price="40.60", quantity=3000)
    await place(api, side="Sell", price="40.60", quantity=1000)
    processes[-1].kill()

    api = await _start(processes, db, fresh_session)
    sell = await place(api, side="Sell", price="40.60", quantity=5000)
    assert sell["filled_qty"] == 2000
    by_no = {r["order_no"]: r for r in await orders_of(api)}
    assert (by_no[buy["order_no"]]["status"], by_no[buy["order_no"]]["filled_qty"]) == (50, 3000)


async def test_order_numbers_continue_after_a_restart(
    processes: list[Process], db: Path, fresh_session: aiohttp.ClientSession
) -> None:
    """An order placed after the restart gets a number no earlier order had."""
    api = await _start(processes, db, fresh_session)
    earlier = {(await place(api, price="40.00"))["order_no"] for _ in range(5)}
    processes[-1].kill()

    api = await _start(processes, db, fresh_session)
    assert (await place(api, price="40.00"))["order_no"] not in earlier


async def test_orders_acknowledged_during_a_burst_survive_a_kill_mid_burst(
    processes: list[Process], db: Path, fresh_session: aiohttp.ClientSession
) -> None:
    """Killed while four clients are sending, every order answered before the kill is back."""
    api = await _start(processes, db, fresh_session)
    acknowledged: dict[str, tuple[Any, ...]] = {}
    enough = asyncio.Event()

    async def sender(worker: int) -> None:
        for i in range(1000):
            body = order(price="40.00", user_def=f"W{worker}N{i}")
            try:
                status, answer = await api.post("/v1/orders", body)
            except aiohttp.ClientError:
                return
            assert status == 200
            acknowledged[answer["data"]["order_no"]] = (answer["data"]["user_def"], 10)
            if len(acknowledged) >= 200:
                enough.set()

    senders = [asyncio.create_task(sender(w)) for w in range(4)]
    await asyncio.wait_for(enough.wait(), START_TIMEOUT_S)
    processes[-1].kill()
    await asyncio.gather(*senders)

    api = await _start(processes, db, fresh_session)
    after = {r["order_no"]: (r["user_def"], r["status"]) for r in await orders_of(api)}
    assert {no: after.get(no) for no in acknowledged} == acknowledged


async def test_a_resting_market_order_comes_back_at_its_converted_price(
    processes: list[Process], db: Path, fresh_session: aiohttp.ClientSession
) -> None:
    """A market sell into an empty book rests at its converted price (the reference 40.60,
    Art. 58-8), and is still there after the restart."""
    api = await _start(processes, db, fresh_session)
    await place(api, side="Sell", price=None, price_type="Market")
    assert (await quote(api))["asks"] == [{"price": "40.60", "size": 1000}]
    processes[-1].kill()

    api = await _start(processes, db, fresh_session)
    assert (await quote(api))["asks"] == [{"price": "40.60", "size": 1000}]
    buy = await place(api, side="Buy", price="41.25")
    assert (buy["status"], buy["filled_money"]) == (50, 40600)


async def test_the_days_volume_and_last_price_survive_a_restart(
    processes: list[Process], db: Path, fresh_session: aiohttp.ClientSession
) -> None:
    """After the restart the quote still reports the day's traded volume and last price."""
    api = await _start(processes, db, fresh_session)
    await place(api, side="Sell", price="40.70", quantity=2000)
    await place(api, side="Buy", price="40.70", quantity=2000)
    processes[-1].kill()

    api = await _start(processes, db, fresh_session)
    data = await quote(api)
    assert (data["total_volume"], data["last_price"]) == (2000, "40.70")


async def test_a_previous_days_order_is_not_in_todays_results(
    start_exchange: StartExchange, session: aiohttp.ClientSession, db: Path
) -> None:
    """Restarted the next day on the same --db, yesterday's working order is not today's."""
    yesterday = clock_at(10, 0)
    exchange = await start_exchange(db=str(db), clock=yesterday)
    await place(Api(session, exchange.url, KEY_A), price="40.00")
    await exchange.aclose()

    today = clock_at(10, 0)
    today.advance(timedelta(days=1))
    exchange = await start_exchange(db=str(db), clock=today)
    assert await orders_of(Api(session, exchange.url, KEY_A)) == []


async def test_a_second_exchange_cannot_open_a_database_in_use(
    processes: list[Process], db: Path, fresh_session: aiohttp.ClientSession
) -> None:
    """Two exchanges on one --db would overwrite each other's orders: the second exits 2."""
    await _start(processes, db, fresh_session)
    second = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tradeburst", "exchange", "--port", "0", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )
    assert second.returncode == 2
    assert "in use by another exchange" in second.stderr + second.stdout
