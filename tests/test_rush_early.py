"""An early arrival is shown, not hidden: a rush over an uneven link (clock reads held on
their way in, orders not) aims by a clock offset that is off by half the delay, and its
orders reach the real exchange before the target. The run's summary, its JSON and `report`
give the earliest signed fire error and how many orders came early, matching the exchange's
own stamps."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from _uneven_proxy import uneven_proxy
from tradeburst.brokers import SimBroker, exchange_receipts
from tradeburst.engine import FireOptions, rush
from tradeburst.report import fire_error_text, read_figures, report_json
from tradeburst.summary import FireError

from _engine_support import QUICK_AGE_S, placed, write_orders
from _rush_support import TARGET, clock_before, on_exchange_day
from _support import ADMIN, KEY_A, StartExchange

READ_DELAY_S = 0.1
"""The clock reads' extra way in: the offset is read 50 ms off, so orders land ~50 ms early.
Both clock estimates (16 reads each) fit in the lead; with longer delays the final one
runs out of time, and that path is not what this test is about."""
ORDERS = 10
MICROSECONDS_APART = 200.0
"""The report puts the target on the exchange's clock from the journal's wall target and
offset, two readings of the clocks apart from the run's: a few µs, bounded generously."""


async def test_orders_that_reach_the_exchange_before_the_target_are_counted(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The exchange's stamps say how many orders came early and the earliest by how much;
    the summary and the report say the same, signed."""
    # Time enough before the target for the clock reads held on the way in, under load.
    exchange = await start_exchange(clock=clock_before(seconds=10))
    target_ns = on_exchange_day(exchange.clock.now_ns(), TARGET)
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=5
    )
    async with (
        uneven_proxy(exchange.url, read_delay_s=READ_DELAY_S) as proxy,
        SimBroker(proxy.url, KEY_A) as broker,
    ):
        result = await rush(
            source, broker, options, TARGET, receipts=exchange_receipts(exchange.url, ADMIN)
        )
    received = [r["received_ns"] - target_ns for r in await placed(session, exchange.url, ADMIN)]
    early = [e for e in received if e < 0]
    assert early, f"the uneven link put no order early: {sorted(received)}"

    error = result.summary.timing.exchange_fire_error_us
    assert error is not None
    assert error.early == len(early)
    assert error.min == round(min(received) / 1000, 1) < 0
    ours = result.summary.timing.fire_error_us
    assert ours is not None and ours.early == 0 and ours.min >= 0  # we sent at the target

    figures = await read_figures(tmp_path / "run.sqlite")
    written = report_json(figures)["exchange_fire_error_us"]
    assert written["early"] == len(early)
    assert abs(written["min"] - error.min) <= MICROSECONDS_APART


def test_an_early_arrival_is_written_in_red_with_its_count() -> None:
    """Any order before the target turns the line red and says how many; none leaves it plain."""
    early = FireError(p50=-13700.0, p99=-200.0, max=-200.0, min=-13700.0, early=30)
    assert fire_error_text(early, "orders") == (
        "[bold red]min -13700 / p50 -13700 / p99 -200 / max -200 µs; 30 orders before the target[/]"
    )
    on_time = FireError.of([0, 250_000, 900_000])
    assert on_time.early == 0 and on_time.min == 0.0
    assert fire_error_text(on_time, "orders") == "min +0 / p50 250 / p99 900 / max 900 µs"


def test_the_count_is_of_stamps_before_the_target_not_at_it() -> None:
    """A stamp exactly at the target is on time; one nanosecond before is early."""
    error = FireError.of([-1, 0, 0, 5_000])
    assert error.early == 1
    assert error.min == 0.0  # -1 ns rounds to -0.0 µs; the count still says it was early
