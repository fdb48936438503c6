"""Parsing of option values the CLI shares, with errors that name the option."""

from __future__ import annotations

from datetime import time

import typer

__all__ = ["parse_clock", "rate"]


def parse_clock(value: str | None, option: str = "--clock") -> time | None:
    """HH:MM:SS[.ffffff] as a time of day, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a time of day like 08:59:50", param_hint=option
        ) from None


def rate(value: float, option: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise typer.BadParameter(f"{value} is not a fraction between 0 and 1", param_hint=option)
    return value
