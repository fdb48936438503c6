"""`rush` end to end against the real rehearsal exchange, whose clock is set a few seconds
before the target: no order arrives before the target by the exchange's own receive stamps,
none is sent before it by the journal's, each is placed once; a target already passed or
not a time is refused with nothing sent; Ctrl-C during a long wait sends nothing, and
`resume` then sends every order once. Nothing here asserts how fast anything was."""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

import aiohttp
import msgspec
import pytest

from tradeburst.brokers import SimBroker, exchange_receipts
from tradeburst.clock import TAIPEI
from tradeburst.engine import (
    FireOptions,
    FireResult,
    IntentState,
    InvalidInput,
    exit_code,
    rush,
)
from tradeburst.exchange import Exchange, NetworkModel, SessionClock
from tradeburst.latency._offset import DEFAULT_READS
from tradeburst.limits import PROFILES

from _engine_support import (
    COUNTING_FAULTS,
    QUICK_AGE_S,
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
    assert_three_pngs,
    at_text,
    clock_before,
    exchange_now_ns,
    journal_run,
    on_exchange_day,
    rush_args,
    wait_for_client_requests,
)
from _support import ADMIN, KEY_A, StartExchange

ORDERS = 60
BATCH = "5"
"""Five orders a batch: twelve requests, ten of them (the Fubon connections and batches a
second) in the opening, so many requests race the target."""
MICROSECONDS_APART = 200.0
"""Bound on how far the report's fire error (µs) may be from the run's: both are the same
stamps against the same target, converted to wall time by two separate readings of the
wall and monotonic clocks."""


async def rushed(
    exchange: Exchange, tmp_path: Path, orders: int = ORDERS
) -> tuple[FireResult, list[str]]:
    """`rush` (the library function) of `orders` orders at `TARGET`, with the exchange's
    receive stamps read; its result and what it told the user."""
    source = write_orders(tmp_path / "orders.csv", orders)
    told: list[str] = []
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=int(BATCH)
    )
    async with SimBroker(exchange.url, KEY_A) as broker:
        result = await rush(
            source,
            broker,
            options,
            TARGET,
            receipts=exchange_receipts(exchange.url, ADMIN),
            notify=told.append,
        )
    return result, told


# -- no order before the target ---------------------------------------------------------


async def test_a_rush_places_nothing_before_the_target(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The library `rush` at 10:00:00 exchange time, three seconds ahead under the Fubon
    limits: every order arrives at or after 10:00:00 on the exchange's clock, every send is
    stamped at or after the target on ours, and each order is placed once."""
    exchange = await start_exchange(profile="fubon", clock=clock_before())
    target_ns = on_exchange_day(exchange.clock.now_ns(), TARGET)
    shift_ms = (exchange.clock.now_ns() - time.time_ns()) / 1e6
    result, told = await rushed(exchange, tmp_path)

    assert exit_code(result) == 0
    summary = result.summary
    assert (summary.orders.total, summary.orders.accepted) == (ORDERS, ORDERS)
    records = await placed(session, exchange.url, ADMIN)
    assert_received_from(records, target_ns)
    intents, dispatches = journal_run(tmp_path / "run.sqlite")
    assert_once_each(records, intents)
    assert all(i.state is IntentState.ACCEPTED for i in intents)
    assert len(dispatches) == 1
    assert_sent_from_target(intents, dispatches[0])

    dispatch = dispatches[0]
    assert len(dispatch.opening_sends_ns) > 1  # several requests raced the target
    assert dispatch.opening_received_ns
    assert min(dispatch.opening_received_ns) >= target_ns
    assert summary.timing.fire_error_us.p50 >= 0
    assert summary.timing.exchange_fire_error_us.p50 >= 0
    assert abs(summary.timing.clock_offset_ms - shift_ms) <= 1.0
    assert any("10:00:00" in line and "exchange time" in line for line in told), told


async def test_a_rush_over_a_slow_link_still_fires_at_the_target(
    start_exchange: StartExchange,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """150 ms round trips: the sixteen reads of the final clock estimate take longer than
    the two seconds it used to start before the target, and the opening left late. It now
    starts early enough: the final estimate is done before the target (not dropped for
    running past it), nothing arrives before the target, and the opening leaves after it.
    How soon after is a figure for `bench rush`, not a test."""
    exchange = await start_exchange(
        profile="fubon", clock=clock_before(seconds=12), network=NetworkModel(latency_ms=150)
    )
    target_ns = on_exchange_day(exchange.clock.now_ns(), TARGET)
    result, _ = await rushed(exchange, tmp_path, orders=10)
    assert exit_code(result) == 0
    assert_received_from(await placed(session, exchange.url, ADMIN), target_ns)
    assert result.summary.timing.fire_error_us.min >= 0
    dropped = [r.message for r in caplog.records if "final clock estimate failed" in r.message]
    assert not dropped, dropped


async def test_a_rush_whose_opening_is_all_refused_has_no_exchange_fire_error(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """IOC orders at 08:59:50, in the pre-open that takes none: nothing placed, so no
    receive stamp to compare with the target, and the exchange's fire error is not given
    (it read 0 µs, a perfect figure from no data)."""
    pre_open = time_of_day(8, 59, 50)
    exchange = await start_exchange(
        profile="fubon", clock=clock_before(pre_open), always_open=False
    )
    source = tmp_path / "orders.csv"
    source.write_text(
        "symbol,side,quantity,price,time_in_force,tag\n"
        + "".join(f"2891,Buy,1000,40.60,IOC,t{i}\n" for i in range(3))
    )
    async with SimBroker(exchange.url, KEY_A) as broker:
        options = FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite")
        result = await rush(
            source, broker, options, pre_open, receipts=exchange_receipts(exchange.url, ADMIN),
        )  # fmt: skip
    assert result.summary.orders.rejected == 3
    assert result.summary.timing.fire_error_us is not None
    assert result.summary.timing.exchange_fire_error_us is None


async def test_the_rush_command_places_nothing_before_the_target(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """`tradeburst rush --at` a few seconds ahead of an exchange running in its own process:
    no order arrives before the target by the exchange's stamps, none is sent before it by
    the journal's, each is placed once, and the JSON holds the fire errors."""
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    journal = tmp_path / "run.sqlite"
    out = tmp_path / "summary.json"
    # A later --clock overrides the helper's 09:30; always open, whatever the day.
    with exchange_process(tmp_path, KEY_A, ADMIN, "--clock", "09:59:30", "--always-open") as ex:
        url = await ex.started()
        target_ns = (await exchange_now_ns(url, KEY_A) + CLI_LEAD_S * 10**9) // 1000 * 1000
        at = at_text(target_ns)
        done = await run_cli(
            *rush_args(source, url, KEY_A, journal, at, "--admin-key", ADMIN,
                       "--batch-size", BATCH, "--json", str(out)),
            cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.output
        records = await placed(session, url, ADMIN)

    assert_received_from(records, target_ns)
    intents, dispatches = journal_run(journal)
    assert_once_each(records, intents)
    assert [d.command for d in dispatches] == ["rush"]
    assert_sent_from_target(intents, dispatches[0])
    assert min(dispatches[0].opening_received_ns) >= target_ns

    summary = json.loads(out.read_text())
    assert summary["command"] == "rush"
    assert summary["orders"]["accepted"] == ORDERS
    for key in ("fire_error_us", "exchange_fire_error_us"):
        error = summary["timing"][key]
        assert set(error) == {"min", "p50", "p99", "max", "early"}, error
        assert error["early"] == 0, error
        assert 0 <= error["min"] <= error["p50"] <= error["p99"] <= error["max"], error
    assert "at random" in done.stdout and "09:00" in done.stdout  # TWSE's opening rule
    assert "Traceback" not in done.output


# -- a target that cannot be --------------------------------------------------------------


@pytest.fixture
async def at_ten(start_exchange: StartExchange) -> Exchange:
    """An exchange at 10:00:00 that counts every order action it takes."""
    return await start_exchange(clock=SessionClock(start=TARGET), faults=COUNTING_FAULTS)


async def test_a_target_already_passed_is_refused_with_nothing_sent(
    at_ten: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    source = write_orders(tmp_path / "orders.csv", 5)
    journal = tmp_path / "run.sqlite"
    done = await run_cli(*rush_args(source, at_ten.url, KEY_A, journal, "09:59:59"), cwd=tmp_path)
    assert done.returncode == 2, done.output
    assert "at: 09:59:59 has passed" in done.stderr, done.stderr
    assert "nothing was sent" in done.stderr
    assert "Traceback" not in done.output
    assert await order_actions(session, at_ten.url, ADMIN) == 0
    assert await placed(session, at_ten.url, ADMIN) == []


async def test_the_library_names_the_passed_target(at_ten: Exchange, tmp_path: Path) -> None:
    source = write_orders(tmp_path / "orders.csv", 5)
    async with SimBroker(at_ten.url, KEY_A) as broker:
        with pytest.raises(InvalidInput, match="has passed: exchange time is") as raised:
            await rush(
                source,
                broker,
                FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "j.sqlite"),
                time_of_day(9),
            )
    assert [p.path for p in raised.value.problems] == ["at"]
    assert "has passed" in raised.value.problems[0].reason


@pytest.mark.parametrize(
    "text", ["09:00", "25:00:00", "09:00:00+08:00", "nine", "10:00:05.1234567"]
)
async def test_an_at_that_is_not_a_time_is_refused_with_nothing_sent(
    at_ten: Exchange, session: aiohttp.ClientSession, tmp_path: Path, text: str
) -> None:
    source = write_orders(tmp_path / "orders.csv", 5)
    done = await run_cli(
        *rush_args(source, at_ten.url, KEY_A, tmp_path / "run.sqlite", text), cwd=tmp_path
    )
    assert done.returncode == 2, done.output
    assert "--at" in done.stderr, done.stderr
    assert "Traceback" not in done.output
    assert await order_actions(session, at_ten.url, ADMIN) == 0


# -- the report of a real rush ----------------------------------------------------------


async def test_the_report_of_a_real_rush_draws_three_pngs(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    exchange = await start_exchange(profile="fubon", clock=clock_before())
    result, _ = await rushed(exchange, tmp_path, orders=20)
    assert exit_code(result) == 0
    out = tmp_path / "report.json"
    done = await run_cli(
        "report", "--journal", str(tmp_path / "run.sqlite"), "--png", str(tmp_path / "plots"),
        "--json", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.output
    assert_three_pngs(tmp_path / "plots")
    figures = json.loads(out.read_text())
    assert figures["command"] == "rush"
    assert figures["orders"] == {"accepted": 20}
    assert len(figures["comparison"]) == 20
    timing = result.summary.timing
    assert figures["classification"] == msgspec.to_builtins(result.summary.classification)
    assert figures["clock"]["offset_ms"] == pytest.approx(timing.clock_offset_ms, abs=0.001)
    # The report reads the fire errors back from the journal: the run's own figures, up to
    # the microseconds between the two readings of our wall and monotonic clocks.
    for key, error in (("fire_error_us", timing.fire_error_us),
                       ("exchange_fire_error_us", timing.exchange_fire_error_us)):  # fmt: skip
        reported = figures[key]
        assert reported == pytest.approx(msgspec.to_builtins(error), abs=MICROSECONDS_APART)
        assert 0 <= reported["p50"] <= reported["p99"] <= reported["max"]


async def test_the_result_holds_the_dispatch_the_journal_keeps(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    exchange = await start_exchange(profile="fubon", clock=clock_before())
    result, _ = await rushed(exchange, tmp_path, orders=5)
    _, dispatches = journal_run(tmp_path / "run.sqlite")
    assert dispatches[0].opening_received_ns  # the journal has the exchange's stamps
    assert result.dispatch == dispatches[0]


# -- Ctrl-C while waiting ---------------------------------------------------------------

BEFORE_JOURNAL = 5
"""Requests a rush makes before it journals: the limits, the symbols, the clock for the
target, the clock and the orders for a fresh run id."""


async def test_ctrl_c_while_a_rush_waits_sends_nothing_and_resume_sends_all_once(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A rush at 10:00:00 on an exchange at 09:00:00 is interrupted while it waits the hour:
    exit 130, nothing at the exchange, and `resume` sends every order once."""
    exchange = await start_exchange(
        profile="fubon", clock=SessionClock(start=time_of_day(9)), faults=COUNTING_FAULTS
    )
    source = write_orders(tmp_path / "orders.csv", 25)
    journal = tmp_path / "run.sqlite"
    client = Background(tmp_path, "rush")
    connections = PROFILES["fubon"].connections
    assert connections is not None
    try:
        await client.start(*rush_args(source, exchange.url, KEY_A, journal, "10:00:00"),
                           cwd=tmp_path)  # fmt: skip
        # Journaled, connections warmed, clock estimated: it is waiting for the target.
        await wait_for_client_requests(
            session, exchange.url, ADMIN, BEFORE_JOURNAL + connections + DEFAULT_READS, client
        )
        assert journal.exists()
        client.signal(signal.SIGINT)
        stopped = await client.wait()
    finally:
        client.stop()
    assert stopped.returncode == 130, stopped.output
    assert "resume" in stopped.output
    assert "Traceback" not in stopped.output
    assert await order_actions(session, exchange.url, ADMIN) == 0
    assert await placed(session, exchange.url, ADMIN) == []
    intents, _ = journal_run(journal)
    assert len(intents) == 25
    assert all(i.state is IntentState.PENDING and i.attempts == 0 for i in intents)

    resumed = await run_cli(
        "resume", "--journal", str(journal), "--api-key", KEY_A, "--url", exchange.url,
        cwd=tmp_path,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.output
    records = await placed(session, exchange.url, ADMIN)
    intents, _ = journal_run(journal)
    assert_once_each(records, intents)
    assert all(i.state is IntentState.ACCEPTED for i in intents)


async def test_a_broker_clock_at_another_rate_is_refused_with_nothing_sent(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """An exchange whose clock runs at half speed (--speed 0.5): no single offset can place
    the target, so the rush is refused before its target, naming --at, and nothing is
    placed (the first review found every order 2.3 s early by the exchange's clock)."""
    start = (datetime.combine(datetime.now(TAIPEI).date(), TARGET) - timedelta(seconds=4)).time()
    exchange = await start_exchange(
        clock=SessionClock(start=start, speed=0.5), faults=COUNTING_FAULTS
    )
    source = write_orders(tmp_path / "orders.csv", 5)
    async with SimBroker(exchange.url, KEY_A) as broker:
        with pytest.raises(InvalidInput, match=r"runs at 0\.5") as raised:
            await rush(
                source,
                broker,
                FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "j.sqlite"),
                TARGET,
            )
    assert [p.path for p in raised.value.problems] == ["at"]
    assert "runs at 0.5" in raised.value.problems[0].reason
    assert await order_actions(session, exchange.url, ADMIN) == 0


async def test_report_png_into_a_file_is_refused(tmp_path: Path) -> None:
    """`--png` naming a file: exit 2 naming the option, no traceback."""
    journal = tmp_path / "j.sqlite"
    journal.write_bytes(b"")
    target = tmp_path / "plots"
    target.write_text("a file")
    done = await run_cli("report", "--journal", str(journal), "--png", str(target), cwd=tmp_path)
    assert done.returncode == 2, done.output
    assert "--png" in done.output and "Traceback" not in done.output
