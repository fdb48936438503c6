"""The burst engine end to end against the real rehearsal exchange: `fire` and `resume`
called directly, and the `tradeburst fire` / `tradeburst resume` commands run as processes,
killed and interrupted. What counts is what the exchange ends up holding: one order per
intent, none lost, none twice; and bad input never reaches it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections import Counter
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from _journal_support import read_journal
from tradeburst.brokers import SimBroker
from tradeburst.engine import (
    Dispatcher,
    FireOptions,
    IntentState,
    InvalidInput,
    ManualPacing,
    exit_code,
    fire,
    resume,
)
from tradeburst.exchange import Exchange, FaultRates, NetworkModel
from tradeburst.rules import STOCK_TICKS

from _engine_support import (
    COUNTING_FAULTS,
    HEADER,
    OPEN_CLOCK,
    QUICK_AGE,
    QUICK_AGE_S,
    Background,
    Completed,
    admin_stats,
    assert_one_order_per_intent,
    exchange_process,
    journal_of,
    order_actions,
    order_line,
    placed,
    run_cli,
    wait_for_placed,
    write_orders,
)
from _support import ADMIN, KEY_A, StartExchange

CHAOS = ("--error-rate", "0.05", "--ambiguous-rate", "0.02", "--reset-rate", "0.01")
CHAOS_FAULTS = FaultRates(error=0.05, ambiguous=0.02, reset=0.01, stall_ms=200)
SHORT_STALL = ("--stall-ms", "200")
"""A lost answer is held 200 ms before its connection drops: short, so the run stays fast."""
KILL_AT = 200
"""Orders the exchange must hold before the client is killed or interrupted."""
SECRET = "sekret-7f3a9c-do-not-print"


@pytest.fixture
async def counting(start_exchange: StartExchange) -> Exchange:
    """An exchange in continuous trading that counts every order action it takes."""
    return await start_exchange(clock_start=OPEN_CLOCK, always_open=False, faults=COUNTING_FAULTS)


@pytest.fixture
async def slow_fubon(start_exchange: StartExchange) -> Exchange:
    """Fubon limits and 50 ms round trips: a burst of 1000 takes seconds, time to interrupt."""
    return await start_exchange(
        profile="fubon",
        clock_start=OPEN_CLOCK,
        always_open=False,
        network=NetworkModel(latency_ms=50),
    )


def fire_args(source: Path, url: str, journal: Path, *options: str, key: str = KEY_A) -> list[str]:
    return ["fire", str(source), "--url", url, "--api-key", key, "--journal", str(journal),
            *QUICK_AGE, *options]  # fmt: skip


def resume_args(journal: Path, url: str | None) -> list[str]:
    """`resume`, with the URL given when the test has one (the journal keeps it too)."""
    return ["resume", "--journal", str(journal), "--api-key", KEY_A, *QUICK_AGE,
            *(("--url", url) if url else ())]  # fmt: skip


async def assert_nothing_sent(session: aiohttp.ClientSession, exchange: Exchange) -> None:
    assert await order_actions(session, exchange.url, ADMIN) == 0
    assert await placed(session, exchange.url, ADMIN) == []


def assert_problem(run: Completed, source: Path, line: int | None, fragment: str) -> None:
    """Exit 2, and stderr names the problem as `path:line: reason` (or `path: reason`)."""
    assert run.returncode == 2, run.output
    prefix = f"{source}:{line}: " if line is not None else f"{source}: "
    lines = run.stderr.splitlines()
    assert any(text.startswith(prefix) and fragment in text for text in lines), run.stderr
    assert "Traceback" not in run.output


# -- a burst under the Fubon limits ------------------------------------------------------


async def test_a_fubon_burst_is_all_accepted_without_a_rate_refusal(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """500 orders under the Fubon limits: all accepted, and no refusal for rate on either side."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 500)
    async with SimBroker(exchange.url, KEY_A) as broker:
        result = await fire(
            source,
            broker,
            FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite"),
        )
    assert exit_code(result) == 0
    assert (result.summary.orders.total, result.summary.orders.accepted) == (500, 500)
    assert result.summary.rate_limit_rejections == 0
    assert (await admin_stats(session, exchange.url, ADMIN))["rate_limited"] == 0


async def test_a_fubon_burst_places_one_order_per_intent(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """500 orders under the Fubon limits: the exchange holds each 10-character user_def once."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 500)
    async with SimBroker(exchange.url, KEY_A) as broker:
        result = await fire(
            source,
            broker,
            FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite"),
        )
    records = await placed(session, exchange.url, ADMIN)
    assert_one_order_per_intent(records, [intent.user_def for intent in result.intents])
    assert {len(record["user_def"]) for record in records} == {10}


# -- faults, a kill, and resume ----------------------------------------------------------


@pytest.mark.parametrize(
    ("exchange_options", "fire_options"),
    [
        # No limits: single orders, few at a time, 5 ms each way, so the kill lands mid-burst
        # and every fault strikes one order.
        pytest.param(
            ("--profile", "none", "--latency-ms", "5"),
            ("--batch-size", "1", "--concurrency", "4"),
            id="none",
        ),
        pytest.param(("--profile", "fubon"), (), id="fubon"),
    ],
)
async def test_a_burst_killed_under_faults_resumes_to_one_order_per_intent(
    exchange_options: tuple[str, ...],
    fire_options: tuple[str, ...],
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    """503s, lost answers, resets, SIGKILL mid-burst, then resume: 1000 orders, each once."""
    source = write_orders(tmp_path / "orders.csv", 1000)
    journal = tmp_path / "run.sqlite"
    options = (*exchange_options, "--seed", "7", *CHAOS, *SHORT_STALL)
    with exchange_process(tmp_path, KEY_A, ADMIN, *options) as exchange:
        url = await exchange.started()
        client = Background(tmp_path, "fire")
        try:
            await client.start(*fire_args(source, url, journal, *fire_options), cwd=tmp_path)
            await wait_for_placed(session, url, ADMIN, KILL_AT, client)
            client.signal(signal.SIGKILL)
            killed = await client.wait()
        finally:
            client.stop()
        assert killed.returncode == -signal.SIGKILL  # it had not finished: killed mid-burst

        resumed = await run_cli(*resume_args(journal, url), cwd=tmp_path)
        assert resumed.returncode == 0, resumed.output
        records = await placed(session, url, ADMIN)
    run, intents = journal_of(journal)
    assert len(intents) == 1000
    assert_one_order_per_intent(records, [intent.user_def for intent in intents])
    assert all(record["user_def"].startswith(run.run_id) for record in records)


async def test_fire_alone_places_every_order_once_under_faults(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Under 503s, lost answers and resets, fire alone settles 1000 orders, each placed once."""
    exchange = await start_exchange(
        clock_start=OPEN_CLOCK, always_open=False, faults=CHAOS_FAULTS, seed=7
    )
    source = write_orders(tmp_path / "orders.csv", 1000)
    async with SimBroker(exchange.url, KEY_A) as broker:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=1
        )
        result = await fire(source, broker, options)
    orders = result.summary.orders
    assert exit_code(result) == 0
    assert (orders.accepted, orders.rejected, orders.unknown, orders.not_sent) == (1000, 0, 0, 0)
    records = await placed(session, exchange.url, ADMIN)
    assert_one_order_per_intent(records, [intent.user_def for intent in result.intents])


async def test_fire_resends_exactly_the_orders_whose_connection_was_reset(
    start_exchange: StartExchange, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    """Single orders under faults: `resent` equals the resets; a lost answer is not resent."""
    exchange = await start_exchange(
        clock_start=OPEN_CLOCK, always_open=False, faults=CHAOS_FAULTS, seed=7
    )
    source = write_orders(tmp_path / "orders.csv", 1000)
    async with SimBroker(exchange.url, KEY_A) as broker:
        options = FireOptions(
            max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=1
        )
        result = await fire(source, broker, options)
    faults = (await admin_stats(session, exchange.url, ADMIN))["faults"]
    assert faults["reset"] > 0 and faults["ambiguous"] > 0  # 1000 draws strike both kinds
    assert result.summary.orders.resent == faults["reset"]


async def test_resume_after_a_clean_finish_sends_nothing(
    counting: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Resuming a run that finished places nothing more and exits 0."""
    source = write_orders(tmp_path / "orders.csv", 100)
    journal = tmp_path / "run.sqlite"
    async with SimBroker(counting.url, KEY_A) as broker:
        await fire(source, broker, FireOptions(max_request_age_s=QUICK_AGE_S, journal=journal))
    actions = await order_actions(session, counting.url, ADMIN)
    before = await placed(session, counting.url, ADMIN)
    async with SimBroker(counting.url, KEY_A) as broker:
        result = await resume(
            journal, broker, FireOptions(max_request_age_s=QUICK_AGE_S, grace_s=0.1)
        )
    assert exit_code(result) == 0
    assert await order_actions(session, counting.url, ADMIN) == actions
    assert await placed(session, counting.url, ADMIN) == before


async def test_resume_without_url_reaches_the_broker_the_journal_names(
    counting: Exchange, tmp_path: Path
) -> None:
    """`tradeburst resume --journal PATH` alone finds the broker the run was fired at."""
    source = write_orders(tmp_path / "orders.csv", 20)
    journal = tmp_path / "run.sqlite"
    async with SimBroker(counting.url, KEY_A) as broker:
        await fire(source, broker, FireOptions(max_request_age_s=QUICK_AGE_S, journal=journal))
    resumed = await run_cli(*resume_args(journal, None), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.output


# -- bad input never reaches the exchange ------------------------------------------------


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        pytest.param(
            csv_bytes("2891,Buy,1000,40.60", header="symbol,sid,quantity,price"),
            1, "unknown column(s) 'sid'", id="wrong-column",
        ),
        pytest.param(
            csv_bytes("2891,Buy,1000", header="symbol,side,quantity"),
            1, "missing required column(s) price", id="missing-column",
        ),
        pytest.param(
            csv_bytes(order_line(0) + ",x", header=HEADER + ",note"),
            1, "unknown column(s) 'note'", id="unknown-column",
        ),
        pytest.param(
            csv_bytes(order_line(0), order_line(1, price="40.63")),
            3, "price 40.63 is not on the tick ladder", id="off-tick",
        ),
        pytest.param(
            csv_bytes(order_line(0), order_line(1, quantity=1500)),
            3, "not a whole number of 1000-share lots", id="not-in-lots",
        ),
        pytest.param(
            csv_bytes(order_line(0), order_line(1, symbol="9999")),
            3, "symbol 9999 is not listed", id="unknown-symbol",
        ),
        pytest.param(
            csv_bytes(order_line(0), order_line(1, price="45.00")),
            3, "price 45.00 is above the limit-up", id="outside-band",
        ),
        pytest.param(b"", None, "empty", id="empty"),
        pytest.param(
            csv_bytes(order_line(0)) + order_line(1, tag="").encode() + b"\xff\xfe\n",
            3, "not UTF-8", id="not-utf8",
        ),
    ],
)  # fmt: skip
async def test_a_bad_orders_file_exits_2_and_sends_nothing(
    content: bytes,
    line: int | None,
    fragment: str,
    counting: Exchange,
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    """A bad file exits 2 with `path:line: reason` on stderr, and no order reaches the exchange."""
    source = tmp_path / "orders.csv"
    source.write_bytes(content)
    run = await run_cli(*fire_args(source, counting.url, tmp_path / "run.sqlite"), cwd=tmp_path)
    assert_problem(run, source, line, fragment)
    await assert_nothing_sent(session, counting)


async def test_a_million_row_file_exits_2_and_sends_nothing(
    counting: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A file of 1,000,000 orders is refused over --max-orders; nothing reaches the exchange."""
    source = tmp_path / "million.csv"
    template = "2891,Buy,1000,40.60,{}\n"
    with source.open("w", encoding="utf-8") as file:
        file.write("symbol,side,quantity,price,tag\n")
        for start in range(0, 1_000_000, 100_000):
            file.write("".join(map(template.format, range(start, start + 100_000))))
    run = await run_cli(*fire_args(source, counting.url, tmp_path / "run.sqlite"), cwd=tmp_path)
    assert_problem(run, source, None, "over max_orders 10000")
    await assert_nothing_sent(session, counting)


@pytest.mark.parametrize(
    ("limit", "extra", "line", "fragment"),
    [
        pytest.param(("--max-orders", "3"), (), None, "over max_orders 3", id="max-orders"),
        pytest.param(
            ("--max-qty", "1000"), (order_line(9, quantity=2000),),
            7, "quantity 2000 is over max_qty 1000", id="max-qty",
        ),
        pytest.param(
            ("--max-notional", "30000"), (), 2, "over max_notional_twd 30000", id="max-notional",
        ),
        pytest.param(
            ("--price-collar-pct", "1"), (order_line(9, price="41.50"),),
            7, "over price_collar_pct 1", id="price-collar",
        ),
    ],
)  # fmt: skip
async def test_a_risk_limit_refuses_the_run_before_anything_is_sent(
    limit: tuple[str, str],
    extra: tuple[str, ...],
    line: int | None,
    fragment: str,
    counting: Exchange,
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    """An order or a run over a risk limit exits 2, names the flag, and sends nothing."""
    source = write_orders(tmp_path / "orders.csv", 5, extra=extra)
    journal = tmp_path / "run.sqlite"
    run = await run_cli(*fire_args(source, counting.url, journal, *limit), cwd=tmp_path)
    assert_problem(run, source, line, fragment)
    await assert_nothing_sent(session, counting)


async def test_a_dry_run_prints_the_plan_and_its_bound_and_sends_nothing(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """--dry-run under the Fubon limits prints the schedule and the lower bound, exits 0."""
    exchange = await start_exchange(
        profile="fubon", clock_start=OPEN_CLOCK, always_open=False, faults=COUNTING_FAULTS
    )
    source = write_orders(tmp_path / "orders.csv", 500)
    journal = tmp_path / "run.sqlite"
    run = await run_cli(*fire_args(source, exchange.url, journal, "--dry-run"), cwd=tmp_path)
    assert run.returncode == 0, run.output
    assert "500 orders under the fubon limits" in " ".join(run.stdout.split())
    assert "lower bound: 1.000 s of limits + one round trip" in run.stdout
    await assert_nothing_sent(session, exchange)


# -- what a run reports ------------------------------------------------------------------


async def test_a_broker_rejection_exits_3(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """An order the checks pass but the exchange rejects (an odd lot) makes the run exit 3."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    odd_lot = order_line(5, quantity=100, market_type="IntradayOdd")
    source = write_orders(tmp_path / "orders.csv", 5, extra=(odd_lot,))
    summary = tmp_path / "summary.json"
    journal = tmp_path / "run.sqlite"
    run = await run_cli(*fire_args(source, exchange.url, journal, "--json", str(summary)),
                        cwd=tmp_path)  # fmt: skip
    assert run.returncode == 3, run.output
    orders = json.loads(summary.read_text())["orders"]
    assert (orders["accepted"], orders["rejected"]) == (5, 1)


async def test_the_json_summary_has_the_cli_contract_keys(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """--json writes every key of the CLI contract; its elapsed time covers what the exchange
    received and is no less than the lower bound."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 400)
    path = tmp_path / "summary.json"
    journal = tmp_path / "run.sqlite"
    run = await run_cli(*fire_args(source, exchange.url, journal, "--json", str(path)),
                        cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.output
    summary = json.loads(path.read_text())
    assert set(summary) >= {
        "command", "broker", "account", "orders", "rate_limit_rejections", "timing",
        "latency_ms", "classification", "strategies",
    }  # fmt: skip
    assert set(summary["orders"]) >= {"total", "accepted", "rejected", "unknown", "resent"}
    timing = summary["timing"]
    assert set(timing) >= {"elapsed_s", "lower_bound_s", "efficiency", "fire_error_us"}
    assert (summary["command"], summary["orders"]["total"]) == ("fire", 400)
    # Against what the exchange saw, not the engine's own formula: the run lasted at least
    # from its first order's arrival to its last, and at least its lower bound.
    received_ns = [r["received_ns"] for r in await placed(session, exchange.url, ADMIN)]
    assert timing["elapsed_s"] * 1e9 >= max(received_ns) - min(received_ns)
    assert timing["elapsed_s"] >= timing["lower_bound_s"] > 0
    assert 0 < timing["efficiency"] <= 1


async def test_the_api_key_appears_in_no_output_and_no_file(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """The key given with --api-key is in neither the journal, the summary, stdout nor stderr."""
    exchange = await start_exchange(api_keys=(SECRET,), clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 50)
    journal = tmp_path / "journal" / "run.sqlite"
    summary = tmp_path / "summary.json"
    args = fire_args(source, exchange.url, journal, "--json", str(summary), key=SECRET)
    run = await run_cli(*args, cwd=tmp_path)
    assert run.returncode == 0, run.output
    secret = SECRET.encode()
    written = [*journal.parent.iterdir(), summary]
    assert [path.name for path in written if secret in path.read_bytes()] == []
    assert SECRET not in run.output


# -- Ctrl-C --------------------------------------------------------------------------------


async def interrupted_burst(
    exchange: Exchange,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    *options: str,
    signum: int = signal.SIGINT,
) -> tuple[Completed, Path]:
    """`tradeburst fire` of 1000 orders, sent `signum` (SIGINT, Ctrl-C) once the exchange
    holds some; its run and its journal."""
    source = write_orders(tmp_path / "orders.csv", 1000)
    journal = tmp_path / "run.sqlite"
    client = Background(tmp_path, "fire")
    try:
        await client.start(*fire_args(source, exchange.url, journal, *options), cwd=tmp_path)
        await wait_for_placed(session, exchange.url, ADMIN, KILL_AT, client)
        client.signal(signum)
        return await client.wait(), journal
    finally:
        client.stop()


async def test_ctrl_c_exits_130_with_the_summary_table(
    slow_fubon: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """SIGINT mid-burst: exit 130, the summary table, and the resume command to finish."""
    run, journal = await interrupted_burst(slow_fubon, session, tmp_path)
    assert run.returncode == 130, run.output
    assert "fire: sim account" in run.stdout
    assert "rate-limit refusals" in run.stdout
    assert f"tradeburst resume --journal {journal}" in " ".join(run.stdout.split())
    assert "Traceback" not in run.output


async def test_sigterm_mid_burst_is_handled_like_ctrl_c(
    slow_fubon: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """SIGTERM (docker stop, systemd, kill) mid-burst: exit 130, the summary and the resume
    command, and `resume` then places every order once."""
    run, journal = await interrupted_burst(slow_fubon, session, tmp_path, signum=signal.SIGTERM)
    assert run.returncode == 130, run.output
    assert "fire: sim account" in run.stdout
    assert f"tradeburst resume --journal {journal}" in " ".join(run.stdout.split())
    assert "Traceback" not in run.output
    resumed = await run_cli(*resume_args(journal, slow_fubon.url), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.output
    _, intents = journal_of(journal)
    records = await placed(session, slow_fubon.url, ADMIN)
    assert_one_order_per_intent(records, [intent.user_def for intent in intents])


FLOOD = """
from decimal import Decimal

from tradeburst import Order, Side, Strategy


class Flood(Strategy):
    async def run(self) -> None:
        order = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"))
        await self.submit([order] * 1000)
"""


async def test_sigterm_mid_run_is_handled_like_ctrl_c(
    slow_fubon: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """SIGTERM while `run`'s strategy sends: exit 130 with the resume command, and `resume`
    then places every order once."""
    (tmp_path / "flood.py").write_text(FLOOD)
    toml = tmp_path / "flood.toml"
    toml.write_text('[[strategy]]\nname = "flood"\nkind = "python"\nclass = "flood:Flood"\n')
    journal = tmp_path / "run.sqlite"
    client = Background(tmp_path, "run")
    try:
        await client.start(
            "run", str(toml), "--url", slow_fubon.url, "--api-key", KEY_A,
            "--journal", str(journal), cwd=tmp_path,
        )  # fmt: skip
        await wait_for_placed(session, slow_fubon.url, ADMIN, KILL_AT, client)
        client.signal(signal.SIGTERM)
        run = await client.wait()
    finally:
        client.stop()
    assert run.returncode == 130, run.output
    assert f"tradeburst resume --journal {journal}" in " ".join(run.output.split())
    assert "Traceback" not in run.output
    resumed = await run_cli(*resume_args(journal, slow_fubon.url), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.output
    _, intents = journal_of(journal)
    records = await placed(session, slow_fubon.url, ADMIN)
    assert_one_order_per_intent(records, [intent.user_def for intent in intents])


async def test_sigterm_stops_the_exchange_cleanly(tmp_path: Path) -> None:
    """`tradeburst exchange` stopped by SIGTERM closes as on Ctrl-C: "exchange stopped",
    exit 0."""
    with exchange_process(tmp_path, KEY_A, ADMIN) as exchange:
        await exchange.started()
        exchange.popen.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            returncode = await asyncio.to_thread(exchange.popen.wait)
        assert exchange.popen.stdout is not None
        rest = exchange.popen.stdout.read()
    assert returncode == 0
    assert "exchange stopped" in rest


async def test_resume_of_a_finished_run_says_nothing_to_do(
    counting: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """`resume` of a run whose every order is settled: "nothing to do", exit 0, no order
    action at the exchange (it used to dispatch nothing and print "efficiency 0.00")."""
    source = write_orders(tmp_path / "orders.csv", 5)
    journal = tmp_path / "run.sqlite"
    fired = await run_cli(*fire_args(source, counting.url, journal), cwd=tmp_path)
    assert fired.returncode == 0, fired.output
    actions = await order_actions(session, counting.url, ADMIN)
    resumed = await run_cli(*resume_args(journal, counting.url), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.output
    assert "nothing to do" in resumed.output
    assert "efficiency" not in resumed.output
    assert await order_actions(session, counting.url, ADMIN) == actions


async def test_the_journal_after_ctrl_c_agrees_with_the_exchange(
    slow_fubon: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """After SIGINT the journal's accepted intents are exactly the exchange's orders; the rest
    are pending, none in flight or unknown."""
    _, journal = await interrupted_burst(slow_fubon, session, tmp_path)
    _, intents = journal_of(journal)
    records = await placed(session, slow_fubon.url, ADMIN)
    accepted = {i.user_def: i.order_no for i in intents if i.state is IntentState.ACCEPTED}
    assert accepted == {record["user_def"]: record["order_no"] for record in records}
    assert {i.state for i in intents} == {IntentState.ACCEPTED, IntentState.PENDING}


async def test_resume_after_ctrl_c_places_one_order_per_intent(
    slow_fubon: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """After SIGINT, `tradeburst resume` finishes the run: every intent placed exactly once."""
    _, journal = await interrupted_burst(slow_fubon, session, tmp_path)
    resumed = await run_cli(*resume_args(journal, slow_fubon.url), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.output
    _, intents = journal_of(journal)
    records = await placed(session, slow_fubon.url, ADMIN)
    assert_one_order_per_intent(records, [intent.user_def for intent in intents])


async def test_an_interrupted_run_reports_an_efficiency_of_at_most_1(
    slow_fubon: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """After SIGINT the summary's bound covers only what was sent: efficiency stays <= 1."""
    path = tmp_path / "summary.json"
    run, _ = await interrupted_burst(slow_fubon, session, tmp_path, "--json", str(path))
    assert run.returncode == 130, run.output
    timing = json.loads(path.read_text())["timing"]
    assert timing["efficiency"] <= 1, timing


async def test_the_journal_keeps_the_fills_of_the_run(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Orders that trade with each other leave their fills in the journal, each once."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    sells = [order_line(100 + i, side="Sell") for i in range(4)]
    source = write_orders(tmp_path / "orders.csv", 4, extra=sells)
    async with SimBroker(exchange.url, KEY_A) as broker:
        result = await fire(
            source,
            broker,
            FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite"),
        )
        at_broker = [f for f in await broker.fills() if f.user_def]
    assert exit_code(result) == 0
    kept = read_journal(tmp_path / "run.sqlite").fills
    assert sorted(kept, key=lambda f: f.filled_no) == sorted(at_broker, key=lambda f: f.filled_no)
    assert at_broker and all(type(f.price_twd) is Decimal for f in at_broker)
    assert sum(f.quantity for f in kept if f.side == "Buy") == 4000
    assert sum(f.quantity for f in kept if f.side == "Sell") == 4000


async def test_cancel_on_abort_cancels_what_works_and_counts_no_refused_cancel(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Stopped after four answers: the orders still working are cancelled; the buy and the
    sell that filled each other are sent cancels the exchange refuses, not counted."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    crossing = order_line(100, side="Sell")
    resting = [order_line(i, price="40.00") for i in range(1, 40)]
    source = write_orders(tmp_path / "orders.csv", 1, extra=[crossing, *resting])
    stop = asyncio.Event()
    stoppers: list[asyncio.Task[None]] = []

    def stop_after_four_answers(dispatcher: Dispatcher) -> None:
        async def wait() -> None:
            # The dispatcher's counters have no event to wait on; a short poll is bounded
            # by the test's timeout.
            while dispatcher.stats.accepted < 4:  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            stop.set()

        stoppers.append(asyncio.create_task(wait()))

    options = FireOptions(
        max_request_age_s=QUICK_AGE_S,
        journal=tmp_path / "run.sqlite",
        pacing=ManualPacing(chunk_size=1, delay_s=0.05),
        cancel_on_abort=True,
    )
    async with SimBroker(exchange.url, KEY_A) as broker, asyncio.timeout(60):
        result = await fire(source, broker, options, stop=stop, watch=stop_after_four_answers)
    assert result.interrupted
    records = await placed(session, exchange.url, ADMIN)
    statuses = Counter(record["status"] for record in records)
    assert statuses[50] == 2, statuses
    assert result.cancelled == statuses[30] >= 2
    assert set(statuses) == {30, 50}, "nothing the run placed is left working"


async def test_resume_right_after_a_stop_waits_for_the_rate_window_and_draws_no_refusal(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Fubon limits, single orders: a burst stopped after 40 answers, then `resume` at once.
    Its first send waits until the stopped run's last answer has left the 1 s window; the
    exchange refuses nothing, and every intent is placed once."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 120)
    journal = tmp_path / "run.sqlite"
    stop = asyncio.Event()
    stoppers: list[asyncio.Task[None]] = []

    def stop_after_forty_answers(dispatcher: Dispatcher) -> None:
        async def wait() -> None:
            while dispatcher.stats.accepted < 40:  # noqa: ASYNC110 (no event to wait on)
                await asyncio.sleep(0.001)
            stop.set()

        stoppers.append(asyncio.create_task(wait()))

    async with SimBroker(exchange.url, KEY_A) as broker, asyncio.timeout(60):
        options = FireOptions(max_request_age_s=QUICK_AGE_S, journal=journal, max_batch=1)
        first = await fire(source, broker, options, stop=stop, watch=stop_after_forty_answers)
        last_answer_ns = max(i.answered_ns for i in first.intents)
        second = await resume(
            journal, broker, FireOptions(max_request_age_s=QUICK_AGE_S, grace_s=0.0)
        )
    assert first.interrupted and exit_code(second) == 0
    resumed = [i for i in second.intents if i.sent_ns > last_answer_ns]
    assert len(resumed) == 120 - first.summary.orders.accepted
    assert min(i.sent_ns for i in resumed) - last_answer_ns >= 1_000_000_000
    assert second.summary.rate_limit_rejections == 0
    stats = await admin_stats(session, exchange.url, ADMIN)
    assert stats["rate_limited"] == 0, stats
    records = await placed(session, exchange.url, ADMIN)
    assert_one_order_per_intent(records, [i.user_def for i in second.intents])


async def test_fire_checks_prices_on_the_ladder_the_exchange_runs(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """An exchange rehearsing a 1 TWD tick above 1000 says so in its symbol list: 1051 for
    2330 passes fire's checks and is placed there; under TWSE's 5 TWD tick it is refused
    before anything is sent."""
    source = tmp_path / "orders.csv"
    source.write_text("symbol,side,quantity,price\n2330,Buy,1000,1051\n")
    reform = STOCK_TICKS.with_tick(Decimal(1000), Decimal(1))
    rehearsal = await start_exchange(clock_start=OPEN_CLOCK, always_open=False, stock_ladder=reform)
    async with SimBroker(rehearsal.url, KEY_A) as broker:
        result = await fire(
            source,
            broker,
            FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "a.sqlite"),
        )
    assert (exit_code(result), result.summary.orders.accepted) == (0, 1)
    assert len(await placed(session, rehearsal.url, ADMIN)) == 1
    today = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    async with SimBroker(today.url, KEY_A) as broker:
        with pytest.raises(InvalidInput, match="price 1051 is not on the tick ladder") as refused:
            await fire(
                source,
                broker,
                FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "b.sqlite"),
            )
    assert "price 1051 is not on the tick ladder" in str(refused.value.problems[0])
    assert await placed(session, today.url, ADMIN) == []


async def test_a_dispatch_that_dies_mid_run_has_already_kept_its_clock_estimate(
    slow_fubon: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The run is cut off (cancelled) after 40 of its 300 single orders, which the Fubon
    limits spread over six seconds: its dispatch row, kept before the first send, holds
    the clock estimate and began before every send, so `report` grades these sends by
    their own clock, not a later resume's (it had no row at all)."""
    source = write_orders(tmp_path / "orders.csv", 300)
    journal = tmp_path / "run.sqlite"
    async with SimBroker(slow_fubon.url, KEY_A) as broker:
        options = FireOptions(max_request_age_s=QUICK_AGE_S, journal=journal, max_batch=1)
        run = asyncio.create_task(fire(source, broker, options))
        async with asyncio.timeout(60):
            # The exchange's order list has no event to wait on; polled, bounded.
            while len(await placed(session, slow_fubon.url, ADMIN)) < 40:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
    snapshot = read_journal(journal)
    intents, [dispatch] = snapshot.intents, snapshot.dispatches
    sent = [i.sent_ns for i in intents if i.sent_ns]
    assert 40 <= len(sent) < 300, "cut off mid-run"
    assert dispatch.started_ns <= min(sent)
    assert dispatch.rtt_ns > 0 and dispatch.sends == []  # the row kept before sending
