"""`--kill-switch-file` on `fire` and `run`, against a real rehearsal exchange: when the
file appears the run stops sending and its working orders are cancelled, while an order
placed outside the run stays working; a file already there is refused up front."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tradeburst.cli import app
from tradeburst.exchange import Exchange

from _engine_support import CLI_TIMEOUT_S, POLL_S, Background, write_orders
from _support import KEY_A, Api, orders_of, place

ORDERS = 20
PACED = ("--chunk-size", "1", "--delay-ms", "150")
"""Slow enough that the switch trips long before the last order would go."""


def _working(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["status"] in (0, 10) and r["after_qty"] != r["filled_qty"]]


async def _trip_after(api: Api, job: Background, switch: Path, placed: int) -> None:
    """Touch `switch` once the run has `placed` orders working (the outside one aside)."""
    async with asyncio.timeout(CLI_TIMEOUT_S):
        while len([r for r in await orders_of(api) if r["user_def"]]) < placed:
            assert job.process is not None and job.process.returncode is None, (
                await job.wait()
            ).output[-2000:]
            await asyncio.sleep(POLL_S)
    await asyncio.to_thread(switch.touch)


async def test_fire_stops_and_cancels_its_orders_when_the_file_appears(
    exchange: Exchange, api: Api, tmp_path: Path
) -> None:
    """Sending stops (fewer than all orders placed), every order of the run ends cancelled,
    the order placed outside the run still works, and the command exits 130."""
    outside = await place(api, symbol="2891", side="Buy", price="40.00")
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    switch = tmp_path / "STOP"
    job = Background(tmp_path, "fire")
    await job.start("fire", str(source), "--url", exchange.url, "--api-key", KEY_A, *PACED,
                    "--kill-switch-file", str(switch), cwd=tmp_path)  # fmt: skip
    try:
        await _trip_after(api, job, switch, placed=3)
        done = await job.wait()
    finally:
        job.stop()
    assert done.returncode == 130, done.output
    assert "kill switch" in done.stdout
    records = await orders_of(api)
    ours = [r for r in records if r["user_def"]]
    assert 3 <= len(ours) < ORDERS
    assert _working(records) == [r for r in records if r["order_no"] == outside["order_no"]]


async def test_run_stops_and_cancels_its_orders_when_the_file_appears(
    exchange: Exchange, api: Api, tmp_path: Path
) -> None:
    """`run` with a paced batches strategy: the same stop, and none of its orders works."""
    rows = ",\n".join(
        f"  {{symbol = '2891', side = 'Buy', quantity = 1000, price = '40.60', tag = 'a{i}'}}"
        for i in range(ORDERS)
    )
    (tmp_path / "run.toml").write_text(
        f"[[strategy]]\nname = 'paced'\nchunk_size = 1\ndelay_ms = 150\nbatches = [[\n{rows}\n]]\n",
        encoding="utf-8",
    )
    switch = tmp_path / "STOP"
    job = Background(tmp_path, "run")
    await job.start("run", "run.toml", "--url", exchange.url, "--api-key", KEY_A,
                    "--kill-switch-file", str(switch), cwd=tmp_path)  # fmt: skip
    try:
        await _trip_after(api, job, switch, placed=3)
        done = await job.wait()
    finally:
        job.stop()
    assert "kill switch" in done.stdout, done.output
    records = await orders_of(api)
    assert 3 <= len(records) < ORDERS
    assert _working(records) == []


def test_a_kill_switch_file_already_there_is_refused_before_sending(tmp_path: Path) -> None:
    """Exit 2 naming the option, before any connection (the URL has nothing behind it)."""
    source = write_orders(tmp_path / "orders.csv", 2)
    switch = tmp_path / "STOP"
    switch.touch()
    args = ["fire", str(source), "--url", "http://127.0.0.1:9", "--api-key", KEY_A,
            "--kill-switch-file", str(switch)]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 2
    assert "--kill-switch-file" in done.output and "already there" in done.output
    assert "connect" not in done.output
