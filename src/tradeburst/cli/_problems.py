"""Bad input, told: every problem found in an orders or strategies file, one line each, a
reason repeated at many places said once with its count, then exit 2 with nothing sent."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from tradeburst.engine import InputProblem, InvalidInput

__all__ = ["REPEATS_LISTED", "exit_with_problems", "problem_lines"]

REPEATS_LISTED = 3
"""A reason found at more lines than this is said once, with its count and first lines."""


def problem_lines(problems: list[InputProblem]) -> list[str]:
    """One line per problem, in order; a reason repeated at many places said once, where it
    first appears, with its count and its first places."""
    groups: dict[str, list[InputProblem]] = {}
    for problem in problems:
        groups.setdefault(problem.reason, []).append(problem)
    lines: list[str] = []
    for group in groups.values():
        if len(group) <= REPEATS_LISTED:
            lines += [str(problem) for problem in group]
            continue
        first, *others = group
        places = ", ".join(_place(p) for p in others[:REPEATS_LISTED])
        lines.append(f"{first} (and {len(others)} more: {places}, …)")
    return lines


def _place(problem: InputProblem) -> str:
    return problem.path if problem.line is None else f"{problem.path}:{problem.line}"


def exit_with_problems(error: Console, exc: InvalidInput) -> NoReturn:
    """Every problem found in the input, then exit 2: nothing was sent. A reason repeated
    at many lines is said once with its count (70,178 identical lines told nothing more)."""
    for line in problem_lines(exc.problems):
        error.print(line, markup=False, emoji=False)
    count = len(exc.problems)
    error.print(f"[red]{count} problem{'s' if count != 1 else ''}; nothing was sent[/]")
    raise typer.Exit(2) from None
