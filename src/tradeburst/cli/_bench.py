"""`tradeburst bench …`: benchmarks that print ratios measured side by side in one run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tradeburst.bench import run_engine_bench, run_exchange_bench, run_rush_bench
from tradeburst.cli._options import writable

__all__ = ["bench_app"]

bench_app = typer.Typer(
    help="Benchmarks: figures measured side by side in one run.", no_args_is_help=True
)


@bench_app.command("exchange")
def exchange_bench(
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the figures here.")
    ] = None,
    orders: Annotated[int, typer.Option(min=100, help="Orders per measurement.")] = 20_000,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Requests in flight over HTTP.")
    ] = 16,
) -> None:
    """Orders matched per second in-process, and orders per second over HTTP beside a bare
    aiohttp handler."""
    json_path = writable(json_path, "--json")
    console = Console(highlight=False)
    figures = asyncio.run(run_exchange_bench(orders=orders, concurrency=concurrency))
    for key, value in figures.items():
        console.print(
            f"{key:>22}  {value:,.1f}" if isinstance(value, float) else f"{key:>22}  {value}"
        )
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(figures, indent=2) + "\n")
        console.print(f"figures written to {json_path}")


@bench_app.command("engine")
def engine_bench(
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the figures here.")
    ] = None,
) -> None:
    """Burst efficiency under the Fubon limits beside the guide's pacing, engine overhead
    beside a bare aiohttp loop, and memory with 10,000 orders in flight beside threads."""
    json_path = writable(json_path, "--json")
    console = Console(highlight=False)
    console.print("measuring (about two minutes)…")
    figures = asyncio.run(run_engine_bench())
    console.print_json(json.dumps(figures))
    if json_path is not None:
        json_path.write_text(json.dumps(figures, indent=2) + "\n")
        console.print(f"figures written to {json_path}")


@bench_app.command("rush")
def rush_bench(
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the figures here.")
    ] = None,
    rushes: Annotated[int, typer.Option(min=1, max=10_000, help="Rushes per way.")] = 100,
) -> None:
    """How late a rush's first order leaves its target, p50/p99/max over many rushes,
    beside a naive asyncio.sleep and time.sleep in the same run."""
    json_path = writable(json_path, "--json")
    console = Console(highlight=False)
    console.print(f"measuring {rushes} rushes of each way (about {rushes * 0.9:.0f} s)…")
    figures = asyncio.run(run_rush_bench(rushes))
    console.print_json(json.dumps(figures))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(figures, indent=2) + "\n")
        console.print(f"figures written to {json_path}")
