"""What a command writes besides its terminal output: its figures or its run's summary as
indented JSON at the path `--json` named (folders made as needed), said on the console. The
path was checked before the work began; a write that fails anyway (a disk filled
meanwhile) is said on stderr and returns False, so the command never exits 0 over it
(`keep_figures`: ends the command with `OUTPUT_FAILED` there and then)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console

from tradeburst.summary import Summary, write_summary

__all__ = ["OUTPUT_FAILED", "figures_text", "keep_figures", "keep_summary", "write_json"]


def figures_text(figures: object) -> str:
    return json.dumps(figures, indent=2) + "\n"


OUTPUT_FAILED = 1
"""The exit code of a command whose work was done but whose output could not be written."""


def write_json(console: Console, figures: object, path: Path | None) -> bool:
    """The figures as JSON at `path`, when one was given; False if that failed."""
    if path is None:
        return True
    return _written(console, path, "figures", lambda: _write_text(path, figures_text(figures)))


def keep_figures(console: Console, figures: object, path: Path | None) -> None:
    """`write_json`, for a command whose figures are its last word: a failed write ends
    it with `OUTPUT_FAILED`."""
    if not write_json(console, figures, path):
        raise typer.Exit(OUTPUT_FAILED)


def keep_summary(console: Console, summary: Summary, path: Path | None) -> bool:
    """The run's summary as JSON at `path`, when one was given; False if that failed."""
    if path is None:
        return True
    return _written(console, path, "summary", lambda: write_summary(summary, path))


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _written(console: Console, path: Path, what: str, write: Callable[[], None]) -> bool:
    try:
        write()
    except OSError as exc:
        print(f"error: the {what} could not be written to {path}: {exc.strerror}; what was "
              "done is as shown above", file=sys.stderr)  # fmt: skip
        return False
    console.print(f"{what} written to {path}")
    return True
