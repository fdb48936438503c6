"""`tradeburst rehearse`: a script written for the real `fubon_neo` runs unchanged against
the rehearsal exchange, every order exactly once; the script's exit code, arguments and
traceback are its own; tradeburst's own problems are one line and exit 2."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from typer.testing import CliRunner

from tradeburst import sim
from tradeburst.cli import app

from _engine_support import cli_env, run_cli
from _support import ADMIN, KEY_A, Api, StartExchange, admin_orders, orders_of

HERE = Path(__file__).parent
FUBON_DAY = HERE / "rehearsal" / "fubon_day.py"
GUIDE = HERE.parent / "examples" / "guide"


async def test_a_script_for_the_real_sdk_runs_unchanged_and_places_each_order_once(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """fubon_day.py (login, callbacks, single, unblock and batch orders, 31 refused, a price
    outside the limits, changes, cancel, results, fills, quotes) exits 0; each order it
    placed is at the exchange once, the refused one as refused."""
    exchange = await start_exchange(profile="fubon", liquidity=True)
    done = await run_cli(
        "rehearse", str(FUBON_DAY), "2881", "88.6", "--url", exchange.url, "--api-key", KEY_A,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.output
    assert "fubon_day: 8 orders" in done.stdout
    accepted = Counter(o["user_def"] for o in await admin_orders(Api(session, exchange.url, ADMIN)))
    assert accepted == dict.fromkeys(["fd1", "fd2", "fd3b0", "fd3b1", "fd3b2", "fd5", "fd6"], 1)
    everything = await orders_of(Api(session, exchange.url, KEY_A))
    assert [o["status"] for o in everything if o["user_def"] == "fd4"] == [90]
    assert "fdx" not in {o["user_def"] for o in everything}  # the 31-order batch never left


async def test_the_guides_cases_run_with_rehearse(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """examples/guide: case 1 (130 orders in batches through run_in_executor), case 3 (the
    time comparison) and case 4 (three strategies through gather) each exit 0."""
    exchange = await start_exchange(profile="fubon")
    base = ("--url", exchange.url, "--api-key", KEY_A)
    case1 = await run_cli("rehearse", str(GUIDE / "case1_batch_trader.py"), *base, cwd=tmp_path)
    assert case1.returncode == 0, case1.output
    assert "case 1: 130 orders acknowledged, 130 at the broker" in case1.stdout
    case3 = await run_cli("rehearse", str(GUIDE / "case3_time_comparison.py"), *base, cwd=tmp_path)
    assert case3.returncode == 0, case3.output
    assert case3.stdout.count("時間差異:") == 5 and "case 3: 5 of 5" in case3.stdout
    case4 = await run_cli("rehearse", str(GUIDE / "case4_strategies.py"), *base, cwd=tmp_path)
    assert case4.returncode == 0, case4.output
    assert "case 4: 18 orders acknowledged, 18 at the broker" in case4.stdout
    tags = Counter(o["user_def"] for o in await admin_orders(Api(session, exchange.url, ADMIN)))
    assert len(tags) == 130 + 5 + 18 and set(tags.values()) == {1}


async def test_the_exit_code_arguments_and_traceback_are_the_scripts(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """The script sees its own argv (options it shares with none of tradeburst's), exits
    with its own code, and a crash prints Python's traceback from the script's frame; a
    syntax error only its location, as Python does. (In this process, in a thread.)"""
    exchange = await start_exchange()
    script = tmp_path / "argv.py"
    script.write_text(
        "import sys\nprint(sys.argv[1:], __name__)\n"
        "def fail():\n    raise ValueError('boom')\n"
        "if sys.argv[1] == 'crash':\n    fail()\nsys.exit(int(sys.argv[1]))\n",
        encoding="utf-8",
    )
    base = ("--url", exchange.url, "--api-key", KEY_A)
    done = await _rehearse(str(script), "3", "--symbol", "2330", *base)
    assert done.exit_code == 3, done.output
    assert "['3', '--symbol', '2330'] __main__" in done.stdout
    crash = await _rehearse(str(script), *base, "--", "crash", "--url")
    assert crash.exit_code == 1 and "['crash', '--url'] __main__" in crash.stdout
    assert crash.stderr.startswith("Traceback (most recent call last):\n"), crash.stderr
    assert f'File "{script}", line 6, in <module>' in crash.stderr
    assert crash.stderr.rstrip().endswith("ValueError: boom")
    assert "runpy" not in crash.stderr and "tradeburst" not in crash.stderr
    broken = tmp_path / "broken.py"
    broken.write_text("x = (\n", encoding="utf-8")
    syntax = await _rehearse(str(broken), *base)
    assert syntax.exit_code == 1
    assert syntax.stderr.startswith(f'  File "{broken}", line 1\n'), syntax.stderr
    assert "SyntaxError" in syntax.stderr and "Traceback" not in syntax.stderr


async def test_tradeburst_problems_are_one_line_and_exit_2(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """A missing script, an exchange that is not there, a wrong key, an option for an
    embedded exchange with --url: one line each, exit 2, no traceback, the key not shown;
    the script never runs. (In this process, in a thread, while the exchange serves.)"""
    exchange = await start_exchange()
    script = tmp_path / "ok.py"
    script.write_text("print('ran')\n", encoding="utf-8")
    missing = await _rehearse(str(tmp_path / "nope.py"))
    assert missing.exit_code == 2 and "nope.py does not exist" in _flat(missing.output)
    gone = await _rehearse(str(script), "--url", "http://127.0.0.1:9", "--api-key", "k")
    assert gone.exit_code == 2 and "cannot reach the rehearsal exchange" in gone.output
    wrong = await _rehearse(str(script), "--url", exchange.url, "--api-key", "wrong-secret")
    assert wrong.exit_code == 2 and "refused the API key: wrong API key" in wrong.output
    both = await _rehearse(
        str(script), "--url", exchange.url, "--api-key", KEY_A, "--clock", "09:00:00"
    )
    assert both.exit_code == 2 and "leave out --url" in _flat(both.output)
    for done in (missing, gone, wrong, both):
        assert "Traceback" not in done.output and "ran" not in done.output
        assert "wrong-secret" not in done.output


async def test_without_url_an_exchange_is_started_for_the_run(tmp_path: Path) -> None:
    """No --url: an exchange with the options given serves the script, and still serves a
    thread the script left running (beside an executor it never shut down) until Python
    has waited for it; then the run ends, exit 0."""
    script = tmp_path / "one.py"
    script.write_text(
        "import threading\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from fubon_neo.sdk import FubonSDK, Order\n"
        "from fubon_neo.constant import BSAction, MarketType, OrderType, PriceType, TimeInForce\n"
        "sdk = FubonSDK()\n"
        "account = sdk.apikey_dma_login('A123456789', 'any-key').data[0]\n"
        "order = Order(BSAction.Buy, '2881', 1000, MarketType.Common, PriceType.Limit,\n"
        "              TimeInForce.ROD, OrderType.Stock, '85')\n"
        "pool = ThreadPoolExecutor(4)\n"
        "placed = pool.submit(sdk.stock.place_order, account, order).result()\n"
        "print(account.account, placed.is_success, placed.data.status)\n"
        "def later():\n"
        "    threading.main_thread().join()  # the script is over; Python is exiting\n"
        "    print('later', sdk.stock.place_order(account, order).is_success)\n"
        "threading.Thread(target=later).start()\n",
        encoding="utf-8",
    )
    done = await run_cli(
        "rehearse", "--always-open", "--seed", "1", "--no-liquidity", str(script), cwd=tmp_path
    )
    assert done.returncode == 0, done.output
    assert done.stdout.split("\n")[-3:] == ["9800001 True 10", "later True", ""]


def _flat(text: str) -> str:
    """Text out of rich's error panel: one line, no box drawing."""
    return " ".join(text.replace("│", " ").split())


async def _rehearse(*args: str) -> Any:
    """`tradeburst rehearse ARGS` in this process, in a thread, while the exchange serves
    on the test's loop: no interpreter to start. The `fubon_neo` it installs is taken out
    again, so later tests import the real one."""
    try:
        return await asyncio.to_thread(CliRunner().invoke, app, ["rehearse", *args], env=cli_env())
    finally:
        sim.uninstall()
