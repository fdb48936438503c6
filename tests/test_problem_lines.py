"""A problem repeated at many places is said once with its count: a 10 MB strategies file
once printed 70,178 identical "over --max-orders" lines."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tradeburst.cli import app
from tradeburst.cli._problems import problem_lines
from tradeburst.engine import InputProblem


def test_a_reason_at_many_places_is_one_line_with_its_count() -> None:
    problems = [InputProblem("s.toml", None, f"batch {i}: over --max-orders 10") for i in range(2)]
    problems += [InputProblem("o.csv", line, "price is not a number") for line in range(2, 1002)]
    assert problem_lines(problems) == [
        "s.toml: batch 0: over --max-orders 10",
        "s.toml: batch 1: over --max-orders 10",
        "o.csv:2: price is not a number (and 999 more: o.csv:3, o.csv:4, o.csv:5, …)",
    ]


def test_a_few_repeats_are_each_listed() -> None:
    problems = [InputProblem("o.csv", line, "bad side") for line in (2, 3, 4)]
    assert problem_lines(problems) == [
        "o.csv:2: bad side",
        "o.csv:3: bad side",
        "o.csv:4: bad side",
    ]


def test_a_big_strategies_file_over_the_limit_prints_a_few_lines(tmp_path: Path) -> None:
    order = '{symbol = "2891", side = "Buy", quantity = 1000, price = "x"}'
    toml = tmp_path / "big.toml"
    toml.write_text(
        '[[strategy]]\nname = "s"\nbatches = ['
        + ", ".join(f"[{order}]" for _ in range(2000))
        + "]\n"
    )
    result = CliRunner().invoke(app, ["run", str(toml), "--api-key", "k"])
    assert result.exit_code == 2
    assert len(result.output.splitlines()) < 10, result.output[:2000]
