"""What a command writes besides its terminal output: its figures or its run's summary as
indented JSON at the path `--json` named (folders made as needed), said on the console. The
path was checked before the work began; a write that fails anyway (a disk filled
meanwhile) is said on stderr, and the work's own outcome stands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from tradeburst.summary import Summary, write_summary

__all__ = ["figures_text", "keep_summary", "write_json"]


def figures_text(figures: object) -> str:
    return json.dumps(figures, indent=2) + "\n"


def write_json(console: Console, figures: object, path: Path | None) -> None:
    """The figures as JSON at `path`, when one was given."""
    if path is not None:
        _written(console, path, "figures", lambda: _write_text(path, figures_text(figures)))


def keep_summary(console: Console, summary: Summary, path: Path | None) -> None:
    """The run's summary as JSON at `path`, when one was given."""
    if path is not None:
        _written(console, path, "summary", lambda: write_summary(summary, path))


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _written(console: Console, path: Path, what: str, write: Callable[[], None]) -> None:
    try:
        write()
    except OSError as exc:
        print(f"error: the {what} could not be written to {path}: {exc.strerror}; what was "
              "done is as shown above", file=sys.stderr)  # fmt: skip
    else:
        console.print(f"{what} written to {path}")
