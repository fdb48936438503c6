"""The Fubon broker's ends as a user meets them, through the CLI and the SDK stand-in: event
304 (a forced logout) ends `fire` with exit 4 and the reason, whether the event or the
`Not Login Error` answer comes first, and Ctrl-C during a login that hangs (holding the
worker's GIL) ends `run` with exit 130 at once, nothing sent. And `bench fubon`, with the
real SDK, at its smallest: every figure there, no folder left behind."""

from __future__ import annotations

import asyncio
import json
import math
import signal
from pathlib import Path

import aiohttp
import pytest

from test_fubon_broker import fubon_env, run_fubon_cli
from tradeburst.exchange import Exchange

import _fubon_standin as standin
from _engine_support import OPEN_CLOCK, Completed, cli_args, cli_env, placed, write_orders
from _support import ADMIN, StartExchange

INTERRUPTED_WITHIN_S = 5.0
"""The bound a Ctrl-C must end the command in (the issue's); it takes well under one."""


@pytest.fixture
def cert(tmp_path: Path) -> Path:
    path = tmp_path / "cert.pfx"
    path.write_bytes(b"not a real certificate")
    return path


@pytest.fixture
async def market(start_exchange: StartExchange) -> Exchange:
    return await start_exchange(clock_start=OPEN_CLOCK, always_open=False)


def with_standin(env: dict[str, str], **options: object) -> dict[str, str]:
    return {**env, standin.OPTIONS_ENV: json.dumps(options)}


@pytest.mark.parametrize("fault", ["304", "304-late"])
async def test_fire_stops_with_exit_4_on_a_forced_logout(
    market: Exchange, tmp_path: Path, cert: Path, session: aiohttp.ClientSession, fault: str
) -> None:
    """Event 304 at the first order call, before or after its `Not Login Error`: no new
    login, exit 4 naming event 304, nothing placed, no traceback."""
    faults = [f"batch_place_order:1:{fault}", f"place_order:1:{fault}"]
    env = with_standin(fubon_env(market.url, cert), faults=faults)
    source = write_orders(tmp_path / "orders.csv", 5)
    run = await run_fubon_cli(env, "fire", str(source), "--broker", "fubon",
                              "--journal", "run.sqlite", cwd=tmp_path)  # fmt: skip
    assert run.returncode == 4, run.output
    assert "event 304" in run.output and "nothing more is sent" in run.output
    assert "Traceback" not in run.output
    assert await placed(session, market.url, ADMIN) == []


async def test_ctrl_c_during_a_hung_login_ends_run_with_130(
    market: Exchange, tmp_path: Path, cert: Path, session: aiohttp.ClientSession
) -> None:
    """`run --broker fubon` whose login holds the worker's GIL forever: SIGINT ends it with
    130 within the bound, saying nothing was sent; the exchange holds no order."""
    trace = tmp_path / "sdk-calls"
    env = with_standin(fubon_env(market.url, cert), faults=["apikey_login:1:hang-gil"],
                       trace=str(trace))  # fmt: skip
    (tmp_path / "run.toml").write_text(
        "[[strategy]]\nname = 'a'\nbatches = [[\n"
        "  {symbol = '2891', side = 'Buy', quantity = 1000, price = '40.60', tag = 'a0'}\n]]\n",
        encoding="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        *cli_args("run", "run.toml", "--broker", "fubon", "--journal", "run.sqlite"),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            while "apikey_login" not in _read(trace):  # the login has begun, and hangs
                assert process.returncode is None
                await asyncio.sleep(0.05)
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(INTERRUPTED_WITHIN_S):
            stdout, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    run = Completed(process.returncode, stdout.decode(), stderr.decode())
    assert run.returncode == 130, run.output
    assert "interrupted while logging in; nothing was sent" in run.output
    assert "Traceback" not in run.output
    assert await placed(session, market.url, ADMIN) == []


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


async def test_bench_fubon_at_its_smallest_writes_every_figure(tmp_path: Path) -> None:
    """The real SDK idle beside a bare worker, and the Order's cost beside the pipe's: every
    figure finite, and the workers' private folders (the SDK's log) all deleted. No speed
    is asserted."""
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**cli_env(), "TMPDIR": str(temp)}
    out = tmp_path / "figures.json"
    run = await run_fubon_cli(env, "bench", "fubon", "--idle-s", "1", "--orders", "100",
                              "--json", str(out), cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.output
    assert "Traceback" not in run.output
    figures = json.loads(out.read_text())
    assert set(figures["order_us"]) == {"build_sdk_order", "pipe_round", "build_per_pipe"}
    assert all(v > 0 and math.isfinite(v) for v in figures["order_us"].values()), figures
    idle = figures["idle_cpu_pct_of_a_core"]
    assert set(idle) == {"sdk_worker", "bare_worker"}
    assert all(v >= 0 and math.isfinite(v) for v in idle.values()), figures
    assert list(temp.iterdir()) == []
