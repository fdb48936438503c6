"""The report in words and numbers: a terminal table (rich) and the same figures as JSON."""

from __future__ import annotations

from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from tradeburst.latency import Component
from tradeburst.report._figures import RunFigures
from tradeburst.report._fire_error import fire_error_text
from tradeburst.report._rejections import print_rejections
from tradeburst.summary import FireError

__all__ = ["print_report", "report_json"]

PARTS = (*(c.value for c in Component), "round_trip", "total")
_MARKS = {"realtime": "🟢", "delayed": "🟡", "severe": "🔴"}
COMPARISON_ROWS = 10


def print_report(console: Console, figures: RunFigures) -> None:
    run = figures.run
    # "fire run ID", "rush run ID"; a strategies run is "run ID", not "run run ID".
    title = f"[bold]{run.command}[/] {'' if run.command == 'run' else 'run '}{run.run_id}"
    console.print(
        f"{title}: {run.broker} account {run.account}, "
        f"{run.profile} limits · "
        + " ".join(f"{state} {count}" for state, count in sorted(figures.counts.items()))
    )
    clock = figures.clock
    console.print(
        f"exchange clock − ours: {clock.offset_ns / 1e6:+.3f} ms ± {clock.error_ns / 1e6:.3f} ms;"
        f" fastest round trip {clock.rtt_ns / 1e6:.3f} ms"
    )
    for (broker, strategy), _ in sorted(figures.histograms.items()):
        table = Table(title=f"Latency (ms): broker {broker}, strategy {strategy}")
        table.add_column("part")
        for column in ("p50", "p90", "p99", "max", "orders"):
            table.add_column(column, justify="right")
        for part in PARTS:
            p = figures.percentiles_ms(broker, strategy, part)
            table.add_row(
                part,
                *(f"{p[k]:.3f}" for k in ("p50", "p90", "p99", "max")),
                str(int(p["count"])),
            )
        console.print(table)
    c = figures.classification
    console.print(
        f"classification (broker time against ours): 🟢 realtime {c.realtime}  "
        f"🟡 delayed {c.delayed}  🔴 severe {c.severe}"
    )
    for label, error, counted in (
        ("fire error, our stamps", figures.fire_error_us, "requests"),
        ("fire error, exchange stamps", figures.exchange_fire_error_us, "orders"),
    ):
        if error is not None:
            console.print(f"{label}: {fire_error_text(error, counted)}")
    _print_comparison(console, figures)
    print_rejections(console, figures.rejections)


def _print_comparison(console: Console, figures: RunFigures) -> None:
    title = f"Time comparison, first {COMPARISON_ROWS} orders (broker time against ours)"
    table = Table(title=title)
    for column in ("order", "broker time", "local time", "difference", "status"):
        table.add_column(column, justify="right")
    for order in sorted(figures.orders, key=lambda o: o.sent_ns)[:COMPARISON_ROWS]:
        table.add_row(
            order.user_def,
            order.broker_time or "-",
            order.local_time,
            f"{order.difference_ms:.1f} ms",
            f"{_MARKS[order.classification]} {order.classification}",
        )
    console.print(table)


def report_json(figures: RunFigures) -> dict[str, Any]:
    run = figures.run
    return {
        "run_id": run.run_id,
        "command": run.command,
        "broker": run.broker,
        "account": run.account,
        "profile": run.profile,
        "orders": figures.counts,
        "clock": {
            "offset_ms": figures.clock.offset_ns / 1e6,
            "error_ms": figures.clock.error_ns / 1e6,
            "rtt_ms": figures.clock.rtt_ns / 1e6,
        },
        "latency_ms": {
            broker: {
                strategy: {part: figures.percentiles_ms(broker, strategy, part) for part in PARTS}
                for (b, strategy) in figures.histograms
                if b == broker
            }
            for broker in {b for b, _ in figures.histograms}
        },
        "classification": msgspec.to_builtins(figures.classification),
        "fire_error_us": _error(figures.fire_error_us),
        "exchange_fire_error_us": _error(figures.exchange_fire_error_us),
        "comparison": [
            {
                "user_def": o.user_def,
                "strategy": o.strategy,
                "state": o.state.value,
                "broker_time": o.broker_time,
                "local_time": o.local_time,
                "difference_ms": round(o.difference_ms, 3),
                "classification": o.classification,
                **{f"{c.value}_ms": o.trip.of(c) / 1e6 for c in Component},
                "first_fill_after_send_ms": None
                if o.first_fill_ns is None
                else round((figures.clock.to_local_ns(o.first_fill_ns) - o.sent_ns) / 1e6, 3),
            }
            for o in sorted(figures.orders, key=lambda o: o.sent_ns)
        ],
        "rejections": msgspec.to_builtins(figures.rejections),
    }


def _error(error: FireError | None) -> dict[str, float] | None:
    return None if error is None else msgspec.to_builtins(error)
