"""Firing the same orders twice in a day is refused, naming the run that sent them: "never
twice" used to hold within a run only, and a file fired then rushed was placed twice. The
check is the orders (not the file's bytes), today's runs in the journal folder, and what the
real exchange holds; `again` sends them anyway."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from tradeburst.brokers import SimBroker
from tradeburst.engine import FireOptions, FireResult, InvalidInput, fire, rush
from tradeburst.exchange import Exchange

from _engine_support import QUICK_AGE_S, placed, run_cli, write_orders
from _rush_support import TARGET, clock_before
from _support import ADMIN, KEY_A, StartExchange

ORDERS = 3


async def fired(exchange: Exchange, source: Path, journal: Path, **options: bool) -> FireResult:
    async with SimBroker(exchange.url, KEY_A) as broker:
        return await fire(
            source, broker, FireOptions(max_request_age_s=QUICK_AGE_S, journal=journal, **options)
        )


async def test_the_same_orders_again_are_refused_naming_the_earlier_run(
    exchange: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The second fire of one file sends nothing and names the first run and its journal."""
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    first = await fired(exchange, source, tmp_path / "first.sqlite")
    with pytest.raises(InvalidInput, match=f"sent today by fire run {first.run_id}") as refused:
        await fired(exchange, source, tmp_path / "second.sqlite")
    [problem] = refused.value.problems
    assert str(problem) == (
        f"{source}: these orders were sent today by fire run {first.run_id} (journal "
        f"{tmp_path / 'first.sqlite'}); sending them again would place each order twice. "
        "Set again to send them once more"
    )
    assert len(await placed(session, exchange.url, ADMIN)) == ORDERS
    assert not (tmp_path / "second.sqlite").exists()


async def test_again_sends_them_once_more(
    exchange: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """With `again`, the second run is sent: the exchange holds every order twice."""
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    await fired(exchange, source, tmp_path / "first.sqlite")
    second = await fired(exchange, source, tmp_path / "second.sqlite", again=True)
    assert second.summary.orders.accepted == ORDERS
    assert len(await placed(session, exchange.url, ADMIN)) == 2 * ORDERS


async def test_the_same_orders_in_another_format_are_the_same_orders(
    exchange: Exchange, tmp_path: Path
) -> None:
    """The orders count, not the file: the CSV's orders as JSON Lines are refused too."""
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    first = await fired(exchange, source, tmp_path / "first.sqlite")
    lines = "".join(
        f'{{"symbol": "2891", "side": "Buy", "quantity": 1000, "price": "40.6", "tag": "t{i}"}}\n'
        for i in range(ORDERS)
    )
    (tmp_path / "orders.jsonl").write_text(lines)
    with pytest.raises(InvalidInput, match=f"fire run {first.run_id}"):
        await fired(exchange, tmp_path / "orders.jsonl", tmp_path / "second.sqlite")


async def test_other_orders_are_not_a_repeat(exchange: Exchange, tmp_path: Path) -> None:
    """One tag changed makes other orders: sent."""
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    await fired(exchange, source, tmp_path / "first.sqlite")
    other = source.read_text().replace(",t2\n", ",t2-bis\n")
    (tmp_path / "other.csv").write_text(other)
    result = await fired(exchange, tmp_path / "other.csv", tmp_path / "second.sqlite")
    assert result.summary.orders.accepted == ORDERS


async def test_a_run_the_broker_does_not_hold_is_not_a_repeat(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A journal of today whose orders the exchange does not have (a fresh exchange, as
    after a restart without its database) does not stop the run."""
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    await fired(await start_exchange(), source, tmp_path / "first.sqlite")
    fresh = await start_exchange()
    result = await fired(fresh, source, tmp_path / "second.sqlite")
    assert result.summary.orders.accepted == ORDERS
    assert len(await placed(session, fresh.url, ADMIN)) == ORDERS


async def test_the_command_refuses_with_exit_2_and_sends_with_again(
    exchange: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """After a first fire, `tradeburst fire` of the same file exits 2 naming that run;
    with `--again` it sends."""
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    first = await fired(exchange, source, tmp_path / "first.sqlite")

    def args(journal: str, *more: str) -> list[str]:
        return ["fire", str(source), "--url", exchange.url, "--api-key", KEY_A,
                "--journal", str(tmp_path / journal), "--max-request-age", "2", *more]  # fmt: skip

    again = await run_cli(*args("second.sqlite"), cwd=tmp_path)
    assert again.returncode == 2, again.output
    assert f"these orders were sent today by fire run {first.run_id}" in " ".join(
        again.stderr.split()
    )
    assert "Traceback" not in again.output
    assert len(await placed(session, exchange.url, ADMIN)) == ORDERS
    forced = await run_cli(*args("third.sqlite", "--again"), cwd=tmp_path)
    assert forced.returncode == 0, forced.output
    assert len(await placed(session, exchange.url, ADMIN)) == 2 * ORDERS


async def test_a_run_still_waiting_to_send_the_same_orders_is_a_repeat(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A rush waiting for its target holds its journal locked, so its orders cannot be read
    there: its claim on them refuses a second run of the same orders at once; once it has
    ended, a run of other orders was never in its way and it placed each order once."""
    exchange = await start_exchange(clock=clock_before(seconds=60))
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    waiting = asyncio.Event()
    stop = asyncio.Event()
    options = FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "first.sqlite")
    async with SimBroker(exchange.url, KEY_A) as broker:
        first = asyncio.create_task(
            rush(source, broker, options, TARGET, stop=stop, notify=lambda _: waiting.set())
        )
        await asyncio.wait_for(waiting.wait(), 30.0)
        with pytest.raises(InvalidInput, match="another run is sending these same orders"):
            await fired(exchange, source, tmp_path / "second.sqlite")
        other = write_orders(tmp_path / "other.csv", ORDERS + 1)
        assert (await fired(exchange, other, tmp_path / "other.sqlite")).summary.orders.accepted
        stop.set()
        stopped = await asyncio.wait_for(first, 30.0)
    assert stopped.summary.orders.accepted == 0 and stopped.summary.orders.not_sent == ORDERS
    assert not (tmp_path / "second.sqlite").exists()
    assert len(await placed(session, exchange.url, ADMIN)) == ORDERS + 1
