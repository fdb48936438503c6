"""`tradeburst bench timeline`: where a burst's time goes, window by window, at one
latency; registered on `bench` by `_bench`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from tradeburst._platform import run_loop
from tradeburst.cli._output import keep_figures
from tradeburst.cli._values import writable
from tradeburst.engine import Release

__all__ = ["timeline_bench"]


def _spans(row: dict[str, Any], kind: str) -> str:
    parts = []
    for what in ("sent", "counted", "answered"):
        span = row.get(f"{kind}_{what}")
        if span is not None:
            parts.append(f"{what} {span[0]:.1f}–{span[1]:.1f}")
    count = row.get(f"{kind}_sent")
    return f"{count[2]:>2} {kind:<6} " + ", ".join(parts) if count else ""


def _slot_waits(run: dict[str, Any]) -> str:
    """Per class, p50/p90 ms over every slot reused: engine wait, exchange delay."""
    classes = sorted({key.split("_engine_wait")[0] for key in run if "_engine_wait_" in key})
    return "; ".join(
        f"{name} slots (p50/p90 ms): engine wait {run[f'{name}_engine_wait_ms_p50']}/"
        f"{run[f'{name}_engine_wait_ms_p90']}, exchange delay "
        f"{run[f'{name}_broker_delay_ms_p50']}/{run[f'{name}_broker_delay_ms_p90']}"
        for name in classes
    )


def _show(console: Console, figures: dict[str, Any]) -> None:
    console.print(
        f"{figures['orders']} orders, {figures['latency_ms']}/{figures['jitter_ms']} ms, "
        f"--release {figures['release']}"
    )
    for number, run in enumerate(figures["runs"], 1):
        chain = run["critical_chain_ms"] or {}
        console.print(
            f"run {number}: efficiency {run['efficiency']}, "
            f"{run['rate_limit_rejections']} rate refusals; critical chain over "
            f"{chain.get('windows', '?')} windows (ms): start {chain.get('start_ms')}, "
            f"engine waits {chain.get('engine_wait_ms')}, exchange delays "
            f"{chain.get('broker_delay_ms')}, last answer {chain.get('last_answer_ms')}; "
            f"{_slot_waits(run)}; a trip beat the least known by up to "
            f"{run['least_trip_beaten_ms']} ms"
        )
    console.print("first run, ms from each window's start (first–last):")
    for row in figures["first_run_windows"]:
        for kind in ("batch", "single"):
            line = _spans(row, kind)
            if line:
                console.print(f"  w{row['window']} {line}")


def timeline_bench(
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the figures here.")
    ] = None,
    latency_ms: Annotated[
        int, typer.Option(min=0, max=1000, help="The exchange's added round trip.")
    ] = 30,
    jitter_ms: Annotated[int, typer.Option(min=0, max=1000, help="Up to this much more.")] = 5,
    runs: Annotated[int, typer.Option(min=1, max=20, help="Runs, one after another.")] = 3,
    orders: Annotated[int, typer.Option(min=400, max=20_000, help="Orders per run.")] = 2000,
    release: Annotated[
        Release, typer.Option("--release", help="From when a slot counts its last window.")
    ] = Release.BROKER_STAMP,
    headroom_ms: Annotated[
        float | None,
        typer.Option(min=0, max=1000, help="Added to every window [the engine's default]."),
    ] = None,
) -> None:
    """Where a burst's time goes: the Fubon job's critical chain and windows, per run.

    Each run's efficiency and rate refusals, and its elapsed time taken apart along the
    chain of throttle slots that ended it: the engine's waits after each window, the
    exchange's delay in counting each call, the start and the last answer.
    """
    from tradeburst.bench import run_timeline_bench

    json_path = writable(json_path, "--json")
    console = Console(highlight=False)
    console.print(f"measuring {runs} runs…")
    figures = run_loop(
        run_timeline_bench(
            latency_ms=latency_ms,
            jitter_ms=jitter_ms,
            runs=runs,
            orders=orders,
            release=release,
            headroom_s=None if headroom_ms is None else headroom_ms / 1000,
        )
    )
    _show(console, figures)
    keep_figures(console, figures, json_path)
