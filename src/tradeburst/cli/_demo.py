"""`tradeburst demo`: the main job on the embedded rehearsal exchange, with a report."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tradeburst.brokers import OrderState
from tradeburst.cli._options import writable
from tradeburst.demo import DemoResult, demo_start, run_demo
from tradeburst.summary import write_summary

__all__ = ["demo_command"]

_STATUS_NAMES = {
    10: "working, nothing filled",
    30: "cancelled",
    40: "part filled, cancelled",
    50: "filled",
    90: "rejected",
}


def _outcome(order: OrderState) -> str:
    if order.status == 10 and order.filled_qty:
        return "working, part filled"
    return _STATUS_NAMES.get(order.status, f"status {order.status}")


def demo_command(
    orders: Annotated[
        int, typer.Option(min=1, max=5000, help="How many sample orders to send.")
    ] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the sample batch and the exchange.")] = 7,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the run summary here.")
    ] = None,
) -> None:
    """Start the rehearsal exchange just before 09:00, send a sample batch in the pre-open,
    and report what happened at the opening auction."""
    json_path = writable(json_path, "--json")
    console = Console(highlight=False)
    console.print(
        f"Starting the rehearsal exchange at {demo_start(orders)} exchange time; "
        f"sending {orders} orders before the 09:00 open…"
    )
    result = asyncio.run(run_demo(orders, seed=seed))
    _report(console, result)
    if json_path is not None:
        write_summary(result.summary, json_path)
        console.print(f"summary written to {json_path}")


def _report(console: Console, result: DemoResult) -> None:
    summary = result.summary
    timing = summary.timing
    sent = Table(title="Sending (pre-open, Fubon limits)", show_header=False)
    sent.add_row("orders", str(summary.orders.total))
    sent.add_row("accepted", str(summary.orders.accepted))
    sent.add_row("rejected by the exchange", str(summary.orders.rejected))
    sent.add_row("unknown", str(summary.orders.unknown))
    sent.add_row("rate-limit refusals", str(summary.rate_limit_rejections))
    sent.add_row("elapsed", f"{timing.elapsed_s:.3f} s")
    sent.add_row("lower bound", f"{timing.lower_bound_s:.3f} s")
    sent.add_row("efficiency", f"{timing.efficiency:.2f}")
    sent.add_row(
        "answer latency p50 / p99",
        f"{summary.latency_ms.p50:.1f} / {summary.latency_ms.p99:.1f} ms",
    )
    c = summary.classification
    sent.add_row("classification", f"🟢 {c.realtime}  🟡 {c.delayed}  🔴 {c.severe}")
    console.print(sent)

    outcomes = Counter(_outcome(order) for order in result.orders)
    after = Table(title="After the 09:00 opening auction", show_header=False)
    for outcome, count in sorted(outcomes.items()):
        after.add_row(outcome, str(count))
    console.print(after)

    opening = Table(title="Opening prices")
    for column in ("symbol", "reference", "open", "volume (shares)"):
        opening.add_column(column, justify="right")
    for quote in result.opening[:12]:
        opening.add_row(
            quote["symbol"],
            str(quote["reference_price"]),
            str(quote["last_price"] or "-"),
            f"{quote['total_volume']:,}",
        )
    console.print(opening)
    console.print(
        "Note: TWSE ranks same-price orders entered before the open at random, so racing "
        "before 09:00 buys no queue place."
    )
