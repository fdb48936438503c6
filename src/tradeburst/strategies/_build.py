"""The strategies of a strategies file, made ready before anything is sent: each spec built
into its `Strategy` (a declarative batch charged to the run's risk budget, a TWAP on its
listed symbol, or a user's Python class imported from beside the file, whatever it raises
while loading turned into a refusal naming it), and the start times checked (an `at` that
has passed is a problem; one still ahead is said aloud, with how long it is)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from tradeburst.brokers import Instrument
from tradeburst.clock import format_wait
from tradeburst.engine import InputProblem
from tradeburst.errors import TradeburstError
from tradeburst.strategies._budget import RiskBudget
from tradeburst.strategies._clock import ExchangeTime, seconds_text
from tradeburst.strategies._config import StrategySpec
from tradeburst.strategies._kinds import Batches, Twap
from tradeburst.strategies._strategy import Strategy

__all__ = ["StrategyRefused", "build_strategy", "passed_start", "wait_lines"]


class StrategyRefused(TradeburstError):
    """A strategy that cannot be built; the message names it and why."""


def build_strategy(
    spec: StrategySpec,
    budget: RiskBudget,
    instruments: dict[str, Instrument],
    clock: ExchangeTime,
    config_path: Path,
    problems: list[InputProblem],
) -> Strategy:
    """`spec` as a strategy; a declarative batch's problems go to `problems`."""
    if spec.kind == "batches":
        for rows, where in zip(spec.batches, spec.where, strict=True):
            problems.extend(budget.take(rows, where))
        return Batches(name=spec.name, weight=spec.weight, batches=spec.batches)
    if spec.kind == "twap":
        assert spec.twap is not None
        instrument = instruments.get(spec.twap.parent.symbol)
        if instrument is None:
            raise StrategyRefused(f"strategy {spec.name!r}: symbol {spec.symbols[0]} is not listed")
        return Twap(
            name=spec.name,
            weight=spec.weight,
            parent=spec.twap.parent,
            instrument=instrument,
            clock=clock,
        )
    return _python(spec, instruments, config_path)


def _python(spec: StrategySpec, instruments: dict[str, Instrument], config_path: Path) -> Strategy:
    assert spec.target is not None
    module_name, class_name = spec.target.split(":")
    folder = str(config_path.parent.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)  # a strategy module lives beside its strategies file
    where = f"strategy {spec.name!r}: class {spec.target}"
    try:
        module = importlib.import_module(module_name)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # user code: a sys.exit(3) would pass for exit code 3
        raise StrategyRefused(
            f"{where}: cannot import {module_name} ({type(exc).__name__}: {exc})"
        ) from None
    kind = getattr(module, class_name, None)
    if not isinstance(kind, type) or not issubclass(kind, Strategy):
        raise StrategyRefused(f"{where}: not a tradeburst.Strategy subclass")
    try:
        strategy = kind(name=spec.name, weight=spec.weight, params=spec.params)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise StrategyRefused(f"{where}: cannot be built ({type(exc).__name__}: {exc})") from None
    if spec.symbols:
        strategy.symbols = spec.symbols
    unknown = [s for s in strategy.symbols if s not in instruments]
    if unknown:
        raise StrategyRefused(f"strategy {spec.name!r}: symbols not listed: {unknown}")
    return strategy


def passed_start(spec: StrategySpec, clock: ExchangeTime, config_path: Path) -> InputProblem | None:
    """A strategy's `at` that has passed, as a problem: sending at once instead would be
    sending at a time nobody asked for."""
    if spec.at is None or clock.seconds_until(spec.at) > 0:
        return None
    now = seconds_text(clock.seconds_of_day())
    reason = f"strategy {spec.name!r}: at {spec.at.isoformat()} has passed (exchange time {now})"
    return InputProblem(str(config_path), None, reason)


def wait_lines(specs: Sequence[StrategySpec], clock: ExchangeTime) -> list[str]:
    """What each strategy that starts later is waiting for, to be said before the run."""
    lines = []
    for spec in specs:
        if spec.at is not None:
            wait_s = clock.seconds_until(spec.at)
            lines.append(
                f"strategy {spec.name!r} waiting until {spec.at.isoformat()} exchange time "
                f"(in {format_wait(wait_s)})"
            )
        elif spec.twap is not None and spec.twap.start is not None:
            wait_s = clock.seconds_until(spec.twap.start)
            if wait_s > 0:
                lines.append(
                    f"strategy {spec.name!r} waiting until its window opens at "
                    f"{spec.twap.start.isoformat()} exchange time (in {format_wait(wait_s)})"
                )
    return lines
