"""Parsing of option values every command shares (times, waits, rates, ticks, output
paths), with errors that name the option."""

from __future__ import annotations

import math
import os
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer

from tradeburst.clock import TimeOfDayError, duration_problem, parse_time_of_day

__all__ = [
    "non_negative",
    "parse_clock",
    "rate",
    "tick",
    "wait_ms",
    "writable",
    "writable_folder",
]


def parse_clock(value: str | None, option: str = "--clock") -> time | None:
    """An exchange time (the one rule of `clock.parse_time_of_day`), or a usage error
    naming the option."""
    if value is None:
        return None
    try:
        return parse_time_of_day(value)
    except TimeOfDayError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def wait_ms(value: float, option: str) -> float:
    """A wait in ms that fits in one exchange day, or a usage error naming the option."""
    problem = duration_problem(value / 1000)
    if problem is not None:
        raise typer.BadParameter(f"{value:g} ms: {problem}", param_hint=option)
    return value


def rate(value: float, option: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise typer.BadParameter(f"{value} is not a fraction between 0 and 1", param_hint=option)
    return value


def non_negative(value: float, option: str) -> float:
    if not 0.0 <= value < math.inf:
        raise typer.BadParameter(f"{value} is not a finite number of at least 0", param_hint=option)
    return value


def tick(value: str, option: str) -> Decimal:
    """A positive price step in whole hundredths of a TWD."""
    try:
        step = Decimal(value)
    except InvalidOperation:
        step = Decimal(0)
    if not step.is_finite() or step <= 0 or step % Decimal("0.01"):
        raise typer.BadParameter(f"{value!r} is not a tick like 5 or 0.05", param_hint=option)
    return step


def writable(path: Path | None, option: str) -> Path | None:
    """Check before the run, not after it, that its output can be written."""
    if path is None:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot create {path.parent}: {exc.strerror}", param_hint=option
        ) from None
    if path.is_dir() or not os.access(path.parent, os.W_OK):
        raise typer.BadParameter(f"cannot write {path}", param_hint=option)
    if path.exists() and not os.access(path, os.W_OK):
        raise typer.BadParameter(f"cannot write over {path}", param_hint=option)
    # Permission bits can say yes where the write says no (root in /proc, a read-only
    # mount): opening it is the only sure test. An existing file is opened to append,
    # which leaves it as it was; a new one is made and removed.
    existed = path.exists()
    try:
        with path.open("ab" if existed else "xb"):
            pass
        if not existed:
            path.unlink()
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot write {path}: {exc.strerror or exc}", param_hint=option
        ) from None
    return path


def writable_folder(path: Path, option: str) -> Path:
    """The folder made (with its parents) and checked writable before the run starts."""
    if path.exists() and not path.is_dir():
        raise typer.BadParameter(f"{path} is a file, not a folder", param_hint=option)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot create {path}: {exc.strerror}", param_hint=option
        ) from None
    if not os.access(path, os.W_OK):
        raise typer.BadParameter(f"cannot write into {path}", param_hint=option)
    return path
