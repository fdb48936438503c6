"""Nothing that happened is hidden: rejected orders are named with the broker's reasons
in the final table, the JSON summary and `report` (grouped by reason when many); `run`'s
summary counts what was not sent and says how to finish; and its JSON has the run's real
clock figures, or null, never a made-up 0."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

from test_report import report
from tradeburst.report import rejections_text
from tradeburst.summary import Rejection

from _engine_support import run_cli, write_orders
from _support import KEY_A, StartExchange

CLOSED = time(8, 0)
"""Before the pre-open: the exchange rejects every order, saying the market is closed."""


async def test_rejected_orders_are_named_with_their_reason_everywhere(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """At 08:00, five orders rejected: the table, --json, report and report --json all
    name each one (line, client order id, symbol) and the broker's reason."""
    exchange = await start_exchange(clock_start=CLOSED, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 5)
    summary_path, journal = tmp_path / "run.json", tmp_path / "j.sqlite"
    run = await run_cli(
        "fire", str(source), "--url", exchange.url, "--api-key", KEY_A,
        "--json", str(summary_path), "--journal", str(journal), cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 3, run.output
    assert "5 rejected by the broker" in run.output
    rejections = json.loads(summary_path.read_text())["rejections"]
    assert [r["line"] for r in rejections] == [2, 3, 4, 5, 6]
    reason = rejections[0]["reason"]
    assert reason and all(r["reason"] == reason and r["symbol"] == "2891" for r in rejections)
    assert all(r["user_def"] in run.output for r in rejections)
    assert reason in run.output
    done = report("--journal", str(journal), "--json", str(tmp_path / "r.json"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert reason in done.stdout and "5 rejected by the broker" in done.stdout
    assert json.loads((tmp_path / "r.json").read_text())["rejections"] == rejections


def test_many_rejections_are_grouped_by_reason() -> None:
    """Thirty rejections for two reasons read as two rows, each with its count."""
    rejections = [
        Rejection(user_def=f"AAAAAA{i:04d}", line=i + 2, symbol="2891",
                  reason="market closed" if i < 20 else "price off the ladder")
        for i in range(30)
    ]  # fmt: skip
    lines = rejections_text(rejections)
    assert lines == [
        "30 rejected by the broker:",
        "  20 × market closed (lines 2, 3, 4, 5, 6, 7, 8, 9, … (12 more))",
        "  10 × price off the ladder (lines 22, 23, 24, 25, 26, 27, 28, 29, … (2 more))",
    ]


FLOOD = """
from decimal import Decimal

from tradeburst import Order, Side, Strategy


class Flood(Strategy):
    async def run(self) -> None:
        order = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"))
        await self.submit([order] * 1000)
"""


async def test_run_says_what_was_not_sent_and_how_to_finish(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """Time up with orders unsent: the summary counts them, names the strategy, prints the
    resume command, exits 4; --json has the clock estimate and null where nothing was
    measured."""
    exchange = await start_exchange(profile="fubon")
    (tmp_path / "flood.py").write_text(FLOOD)
    toml = tmp_path / "flood.toml"
    toml.write_text(
        '[[strategy]]\nname = "flood"\nkind = "python"\nclass = "flood:Flood"\nduration_s = 1\n'
    )
    out = tmp_path / "run.json"
    run = await run_cli(
        "run", str(toml), "--url", exchange.url, "--api-key", KEY_A, "--json", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 4, run.output
    summary = json.loads(out.read_text())
    not_sent = summary["orders"]["not_sent"]
    assert not_sent > 0
    assert f"{not_sent} not sent" in run.output
    assert f"flood: its duration_s ran out; {not_sent} orders it queued were not sent" in (
        run.output
    )
    assert "tradeburst resume --journal" in run.output
    timing = summary["timing"]
    assert timing["clock_offset_ms"] is not None and timing["clock_error_ms"] > 0
    assert timing["lower_bound_s"] is None and timing["efficiency"] is None
