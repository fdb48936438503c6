"""Where the CLI finds an API key: a file readable by its owner only, the environment, or
the option; never echoed."""

from __future__ import annotations

import stat
from pathlib import Path

import typer

__all__ = ["read_api_key"]


def read_api_key(value: str | None, path: Path | None) -> str:
    if path is not None:
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(
                f"cannot read {path}: {exc}", param_hint="--api-key-file"
            ) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise typer.BadParameter(
                f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); chmod 600 it",
                param_hint="--api-key-file",
            )
        if not text:
            raise typer.BadParameter(f"{path} is empty", param_hint="--api-key-file")
        return text
    if not value:
        raise typer.BadParameter(
            "no API key: set TRADEBURST_API_KEY, or give --api-key-file or --api-key",
            param_hint="--api-key",
        )
    return value
