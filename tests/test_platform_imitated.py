"""The CLI once more, on Windows and macOS as imitated on Linux (`tests/imitation/`): every
`tradeburst` process these tests start has no `os.sched_*` and no `fork` and spawns its
children; as Windows also a loop that takes no signal handler, permission bits that say
nothing and clocks that tick every 15.6 ms. A representative set, not the suite twice: the
demo, a rush and a Ctrl-C'd rush, fire with a key file, the exchange started and stopped."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from tradeburst.exchange import SessionClock

import _engine_support
from _engine_support import (
    COUNTING_FAULTS,
    POLL_S,
    Background,
    exchange_process,
    order_actions,
    placed,
    run_cli,
    write_orders,
)
from _rush_support import (
    CLI_LEAD_S,
    TARGET,
    assert_once_each,
    assert_received_from,
    assert_sent_from_target,
    at_text,
    exchange_now_ns,
    journal_run,
    rush_args,
)
from _support import ADMIN, KEY_A, StartExchange

IMITATION = Path(__file__).parent / "imitation"
CANNOT_PIN = "cannot pin processes to cores on"
NOT_CHECKED = "were not checked: windows does not report them"


Imitate = Callable[[str], None]


@pytest.fixture
def imitate(monkeypatch: pytest.MonkeyPatch) -> Imitate:
    """`imitate("windows")`: every CLI process the test starts from then on runs as one on
    that platform (the support's `cli_env` gains the imitation)."""
    real_env = _engine_support.cli_env

    def start(platform: str) -> None:
        def env() -> dict[str, str]:
            imitated = real_env()
            imitated["TRADEBURST_IMITATE_PLATFORM"] = platform
            path = [str(IMITATION), *filter(None, [imitated.get("PYTHONPATH")])]
            imitated["PYTHONPATH"] = os.pathsep.join(path)
            return imitated

        monkeypatch.setattr(_engine_support, "cli_env", env)

    return start


async def test_the_demo_runs_on_imitated_windows(imitate: Imitate, tmp_path: Path) -> None:
    """The demo, its exchange child spawned and both processes imitated: every order
    accepted, none early by either clock, one line saying the cores are shared."""
    imitate("windows")
    out = tmp_path / "demo.json"
    done = await run_cli(
        "demo", "--orders", "30", "--json", str(out), "--out", str(tmp_path / "demo"),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.output
    summary = json.loads(out.read_text())
    assert summary["orders"]["accepted"] == 30
    for key in ("fire_error_us", "exchange_fire_error_us"):
        assert summary["timing"][key]["p50"] >= 0, summary["timing"]
    assert done.output.count(CANNOT_PIN) == 1, done.output
    assert "Traceback" not in done.output


async def test_a_rush_on_imitated_windows_places_nothing_before_the_target(
    imitate: Imitate, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """With 15.6 ms clocks on both sides, `rush --at` a few seconds ahead: no order reaches
    the exchange before the target by its stamps, none is sent before it by the journal's,
    each is placed once."""
    imitate("windows")
    source = write_orders(tmp_path / "orders.csv", 20)
    journal = tmp_path / "run.sqlite"
    with exchange_process(tmp_path, KEY_A, ADMIN, "--clock", "09:59:30", "--always-open") as ex:
        url = await ex.started()
        target_ns = (await exchange_now_ns(url, KEY_A) + CLI_LEAD_S * 10**9) // 1000 * 1000
        done = await run_cli(
            *rush_args(source, url, KEY_A, journal, at_text(target_ns), "--admin-key", ADMIN,
                       "--batch-size", "5"),
            cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.output
        records = await placed(session, url, ADMIN)
    assert_received_from(records, target_ns)
    intents, dispatches = journal_run(journal)
    assert_once_each(records, intents)
    assert_sent_from_target(intents, dispatches[0])


async def test_ctrl_c_of_a_waiting_rush_on_imitated_windows_exits_130_with_its_summary(
    imitate: Imitate,
    start_exchange: StartExchange,
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    """No signal handler on the loop: Ctrl-C still stops the rush waiting for 10:00 with
    nothing sent, its summary and what to do next printed, exit 130."""
    imitate("windows")
    exchange = await start_exchange(
        profile="fubon", clock=SessionClock(start=TARGET.replace(hour=9)), faults=COUNTING_FAULTS
    )
    source = write_orders(tmp_path / "orders.csv", 5)
    journal = tmp_path / "run.sqlite"
    client = Background(tmp_path, "rush")
    try:
        await client.start(*rush_args(source, exchange.url, KEY_A, journal, "10:00:00"),
                           cwd=tmp_path)  # fmt: skip
        await _printed(client, "first order at 10:00:00")
        client.signal(signal.SIGINT)
        stopped = await client.wait()
    finally:
        client.stop()
    assert stopped.returncode == 130, stopped.output
    assert "rush: sim account" in stopped.stdout
    assert "nothing was sent: run the rush again" in stopped.stdout
    assert "Traceback" not in stopped.output
    assert await order_actions(session, exchange.url, ADMIN) == 0


async def test_fire_on_imitated_windows_takes_a_key_file_it_cannot_check(
    imitate: Imitate, start_exchange: StartExchange, tmp_path: Path
) -> None:
    """Every file reads 0o666 there: the key file is used and a line says its permissions
    were not checked; the same file named through a network path is refused."""
    imitate("windows")
    exchange = await start_exchange()
    key_file = tmp_path / "key"
    key_file.write_text(KEY_A + "\n")
    key_file.chmod(0o600)
    source = write_orders(tmp_path / "orders.csv", 3)
    fired = await run_cli(
        "fire", str(source), "--url", exchange.url, "--api-key-file", str(key_file), cwd=tmp_path
    )
    assert fired.returncode == 0, fired.output
    assert NOT_CHECKED in " ".join(fired.stderr.split()), fired.stderr
    shared = f"/{key_file}"  # //tmp/…: the form of \\server\share\… on Windows
    refused = await run_cli(
        "fire", str(source), "--url", exchange.url, "--api-key-file", shared, cwd=tmp_path
    )
    assert refused.returncode == 2, refused.output
    assert "shared or network folder" in " ".join(refused.output.replace("│", " ").split())
    assert KEY_A not in fired.output + refused.output


@pytest.mark.parametrize(
    ("platform", "signum"), [("windows", signal.SIGINT), ("macos", signal.SIGTERM)]
)
async def test_the_exchange_on_an_imitated_platform_stops_cleanly(
    imitate: Imitate, tmp_path: Path, platform: str, signum: int
) -> None:
    """`tradeburst exchange` starts, and stops on Ctrl-C (Windows) or SIGTERM (macOS):
    "exchange stopped", exit 0."""
    imitate(platform)
    with exchange_process(tmp_path, KEY_A, ADMIN) as exchange:
        await exchange.started()
        exchange.popen.send_signal(signum)
        async with asyncio.timeout(30):
            returncode = await asyncio.to_thread(exchange.popen.wait)
        assert exchange.popen.stdout is not None
        rest = exchange.popen.stdout.read()
    assert returncode == 0, (tmp_path / "exchange.stderr").read_text()
    assert "exchange stopped" in rest


CLOCKS = """
import asyncio, json, time
from tradeburst._platform import run_loop
from tradeburst.clock import mono_ns, wall_ns
from tradeburst.engine._start import DEFAULT_SPIN_S

def step(clock):
    first = clock()
    while (later := clock()) == first:
        pass
    return (later - first) / 1e9 if isinstance(first, int) else later - first

async def loop_step():
    return step(asyncio.get_running_loop().time)

print(json.dumps({
    "monotonic": step(time.monotonic_ns), "time": step(time.time_ns),
    "mono_ns": step(mono_ns), "wall_ns": step(wall_ns), "loop": run_loop(loop_step()),
    "wall_off": abs(wall_ns() - time.time_ns()) / 1e9, "spin": DEFAULT_SPIN_S,
}))
"""


async def test_the_clocks_stay_fine_where_the_platform_s_are_coarse(
    imitate: Imitate, tmp_path: Path
) -> None:
    """Where `time.monotonic` and `time.time` tick every 15.6 ms, tradeburst's clocks and
    its event loop's still step by less than 0.1 ms, its wall clock agrees with the
    platform's to within a tick, and a rush spins through two ticks before its target."""
    imitate("windows")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLOCKS, env=_engine_support.cli_env(), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(_engine_support.CLI_TIMEOUT_S):
        out, _ = await process.communicate()
    steps = json.loads(out)
    assert steps["monotonic"] >= 0.0156 and steps["time"] >= 0.0156, steps  # the imitation
    assert max(steps["mono_ns"], steps["wall_ns"], steps["loop"]) < 1e-4, steps
    assert steps["wall_off"] <= 0.0157, steps
    assert steps["spin"] >= 0.032, steps


async def _printed(client: Background, text: str) -> None:
    """Until `client` has printed `text`; fails if it exits first."""
    async with asyncio.timeout(_engine_support.CLI_TIMEOUT_S):
        while text not in client.stdout_path.read_text(errors="replace"):
            assert client.process is not None
            if client.process.returncode is not None:
                done = await client.wait()
                raise AssertionError(f"exited {done.returncode} first: {done.output[-2000:]}")
            await asyncio.sleep(POLL_S)
