"""`tradeburst demo`: the main job on the embedded rehearsal exchange, with a report."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tradeburst._platform import run_loop
from tradeburst.brokers import OrderState
from tradeburst.cli._output import OUTPUT_FAILED, keep_summary
from tradeburst.cli._result_view import measured
from tradeburst.cli._rush_options import RANDOM_RANKING_NOTE
from tradeburst.cli._values import writable, writable_folder
from tradeburst.demo import DEMO_START, DemoResult, run_demo
from tradeburst.report import fire_error_text, print_report, read_figures, write_plots
from tradeburst.rules import OPEN

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
    out: Annotated[
        Path, typer.Option(help="Folder for the orders file, the journal and the plots.")
    ] = Path("demo-out"),
) -> None:
    """Rush a sample batch at 09:00:00 on a rehearsal exchange and report how it went.

    The exchange starts at 08:59:50 on its own simulated clock; the batch goes at 09:00:00
    exchange time under the Fubon limits; the report is printed and its plots written.
    """
    json_path = writable(json_path, "--json")
    out = writable_folder(out, "--out")
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"Starting the rehearsal exchange at {DEMO_START} exchange time; "
        f"rushing {orders} orders at {OPEN}…"
    )
    result = run_loop(run_demo(out, orders, seed=seed, notify=console.print))
    _report(console, result)
    figures = run_loop(read_figures(result.journal))
    print_report(console, figures)
    for path in write_plots(figures, out):
        console.print(f"plot written to {path}")
    console.print(f"journal: {result.journal} (`tradeburst report --journal {result.journal}`)")
    if not keep_summary(console, result.summary, json_path):
        raise typer.Exit(OUTPUT_FAILED)


def _report(console: Console, result: DemoResult) -> None:
    summary = result.summary
    timing = summary.timing
    sent = Table(title=f"The rush at {OPEN} (Fubon limits)", show_header=False)
    sent.add_row("orders", str(summary.orders.total))
    sent.add_row("accepted", str(summary.orders.accepted))
    sent.add_row("rejected by the exchange", str(summary.orders.rejected))
    sent.add_row("unknown", str(summary.orders.unknown))
    sent.add_row("rate-limit refusals", str(summary.rate_limit_rejections))
    sent.add_row("elapsed", f"{timing.elapsed_s:.3f} s")
    sent.add_row("lower bound", measured(timing.lower_bound_s, ".3f", " s"))
    sent.add_row("efficiency", measured(timing.efficiency, ".2f"))
    for label, error, counted in (
        ("fire error (ours)", timing.fire_error_us, "requests"),
        ("fire error (exchange)", timing.exchange_fire_error_us, "orders"),
    ):
        if error is not None:
            sent.add_row(label, fire_error_text(error, counted))
    sent.add_row(
        "answer latency p50 / p99",
        f"{summary.latency_ms.p50:.1f} / {summary.latency_ms.p99:.1f} ms",
    )
    c = summary.classification
    sent.add_row("classification", f"🟢 {c.realtime}  🟡 {c.delayed}  🔴 {c.severe}")
    console.print(sent)

    outcomes = Counter(_outcome(order) for order in result.orders)
    after = Table(title="Half a second into continuous trading", show_header=False)
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
    console.print(f"Note: {RANDOM_RANKING_NOTE}")
