"""Where the CLI finds an API key: a file readable by its owner only (on Windows, which does
not report who may read a file, one not in a shared folder), the environment, or the
option; never echoed."""

from __future__ import annotations

from pathlib import Path

import typer

from tradeburst._inputs import KEY_FILE_MAX_BYTES, InputFileError, read_input
from tradeburst._platform import private_file_problem

__all__ = ["read_api_key"]


def read_api_key(value: str | None, path: Path | None) -> str:
    if path is not None:
        try:
            mode = path.stat().st_mode
            text = read_input(path, KEY_FILE_MAX_BYTES).decode("utf-8").strip()
        except InputFileError as exc:
            raise typer.BadParameter(
                f"cannot read {path}: it {exc}", param_hint="--api-key-file"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(
                f"cannot read {path}: {exc}", param_hint="--api-key-file"
            ) from None
        problem = private_file_problem(path, mode)
        if problem is not None:
            raise typer.BadParameter(f"{path} is {problem}", param_hint="--api-key-file")
        if not text:
            raise typer.BadParameter(f"{path} is empty", param_hint="--api-key-file")
        return _one_token(text, f"the key in {path}", "--api-key-file")
    if not value:
        raise typer.BadParameter(
            "no API key: set TRADEBURST_API_KEY, or give --api-key-file or --api-key",
            param_hint="--api-key",
        )
    return _one_token(value, "the key", "--api-key or TRADEBURST_API_KEY")


def _one_token(key: str, named: str, hint: str) -> str:
    """A key goes into an HTTP header: a space, line break or control character inside it
    would fail there, after the run began. Named here without echoing the key."""
    if any(c.isspace() or not c.isprintable() for c in key):
        raise typer.BadParameter(
            f"{named} has a space, line break or control character in it (a key is one word)",
            param_hint=hint,
        )
    return key
