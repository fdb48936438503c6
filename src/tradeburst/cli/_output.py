"""What a command writes besides its terminal output: its figures as indented JSON at the
path `--json` named (folders made as needed), said on the console."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

__all__ = ["figures_text", "write_json"]


def figures_text(figures: object) -> str:
    return json.dumps(figures, indent=2) + "\n"


def write_json(console: Console, figures: object, path: Path | None) -> None:
    """The figures as JSON at `path`, when one was given."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(figures_text(figures))
        console.print(f"figures written to {path}")
