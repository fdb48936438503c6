"""`tradeburst report --journal PATH|URL [--run RUNID] [--png DIR] [--json PATH]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tradeburst._platform import run_loop
from tradeburst.cli._options import (
    DEFAULT_DELAYED_MS,
    DEFAULT_REALTIME_MS,
    journal_value,
    thresholds,
)
from tradeburst.cli._output import keep_figures
from tradeburst.cli._values import writable
from tradeburst.engine import JournalError, JournalLocation
from tradeburst.report import print_report, read_figures, report_json, write_plots

__all__ = ["report_command"]


def report_command(
    journal: Annotated[
        JournalLocation,
        typer.Option(
            parser=journal_value,
            metavar="<path|url>",
            show_default=False,
            help="The run's journal: its file, or a postgresql:// URL.",
        ),
    ],
    run_id: Annotated[
        str | None,
        typer.Option("--run", help="The run to report (needed with a postgresql:// journal)."),
    ] = None,
    png: Annotated[
        Path | None, typer.Option(help="Write the plots (PNG) into this folder.")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = (
        None
    ),
    realtime_ms: Annotated[float, typer.Option(help="🟢 realtime below this.")] = (
        DEFAULT_REALTIME_MS
    ),
    delayed_ms: Annotated[float, typer.Option(help="🟡 delayed below this; 🔴 beyond.")] = (
        DEFAULT_DELAYED_MS
    ),
) -> None:
    """Where every order's time went in a run: queue, throttle, wire and broker.

    Also the broker's time against ours, a rush's fire error, and the sends against the
    limit.
    """
    json_path = writable(json_path, "--json")
    if png is not None and png.exists() and not png.is_dir():
        raise typer.BadParameter(f"{png} is a file, not a folder", param_hint="--png")
    limits = thresholds(realtime_ms, delayed_ms)
    console = Console(highlight=False, soft_wrap=True)
    try:
        figures = run_loop(read_figures(journal, run_id, limits))
    except JournalError as exc:
        Console(stderr=True).print(f"[red]{escape(str(exc))}[/]", emoji=False)
        raise typer.Exit(2) from None
    print_report(console, figures)
    if png is not None:
        try:
            written = write_plots(figures, png, limits)
        except OSError as exc:
            Console(stderr=True).print(f"[red]--png {png}: cannot write ({exc.strerror})[/]")
            raise typer.Exit(2) from None
        for path in written:
            console.print(f"plot written to {path}")
    keep_figures(console, report_json(figures), json_path)
