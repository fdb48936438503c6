"""The command line's help and shape: `fire` and `rush` are separate commands, each
listing only the options it takes, and every help fits 80 columns without cutting a name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from tradeburst.cli import app

runner = CliRunner()

RUSH_ONLY = ("--at", "--admin-key")
FIRE_ONLY = ("--chunk-size", "--delay-ms")


def _options(command: str) -> dict[str, tuple[object, str | None]]:
    """Each option of a command by its name: its default and its help."""
    click_command = get_command(app).commands[command]  # type: ignore[attr-defined]
    return {
        param.opts[0]: (param.default, param.help)
        for param in click_command.params
        if param.opts[0].startswith("--")
    }


def _help(*args: str, columns: int = 80) -> str:
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


def _names(text: str) -> set[str]:
    return set(re.findall(r"--[\w-]+", text))


def test_fire_help_lists_no_rush_option() -> None:
    """`fire --help` shows neither --at nor --admin-key."""
    assert not _names(_help("fire")) & set(RUSH_ONLY)


def test_rush_help_lists_no_fire_option() -> None:
    """`rush --help` shows neither --chunk-size nor --delay-ms."""
    assert not _names(_help("rush")) & set(FIRE_ONLY)


def test_fire_and_rush_share_every_other_option_alike() -> None:
    """The options both take have the same names, defaults and help."""
    fire, rush = _options("fire"), _options("rush")
    assert set(fire) - set(FIRE_ONLY) == set(rush) - set(RUSH_ONLY)
    for name in set(fire) & set(rush):
        assert fire[name] == rush[name], name


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["fire", "orders.csv", "--at", "09:00:00"], "--at"),
        (["fire", "orders.csv", "--admin-key", "k"], "--admin-key"),
        (["rush", "orders.csv", "--at", "09:00:00", "--chunk-size", "5"], "--chunk-size"),
        (["rush", "orders.csv", "--at", "09:00:00", "--delay-ms", "10"], "--delay-ms"),
    ],
)
def test_an_option_of_the_other_command_is_refused_as_unknown(
    args: list[str], option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 2, the option named as unknown, nothing started: no journal written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "orders.csv").write_text("symbol,side,price,quantity\n")
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "No such option" in result.output
    assert option in result.output
    assert not (tmp_path / "journal").exists()


def test_rush_without_at_is_a_usage_error() -> None:
    """--at is required, and the help says so."""
    result = runner.invoke(app, ["rush", "orders.csv"])
    assert result.exit_code == 2
    assert "--at" in result.output


def _commands() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        paths += [[name, sub] for sub in subcommands] if subcommands else [[name]]
    return paths


@pytest.mark.parametrize("group", [[], ["bench"]])
def test_each_command_is_listed_with_one_line_of_one_sentence(group: list[str]) -> None:
    """In `--help` lists every command's help is its first sentence, without a hard break."""
    text = _help(*group, columns=200)
    listed = [line for line in text[text.index("Commands") :].splitlines() if line[:1] == "│"]
    rows = [row.strip("│ ").split(None, 1) for row in listed]
    assert rows and all(len(row) == 2 for row in rows), listed
    for name, help_text in rows:
        assert help_text.rstrip().endswith("."), (name, help_text)
        assert help_text.count(". ") == 0, (name, help_text)


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_no_option_name_is_cut_at_80_columns(command: list[str]) -> None:
    """Every option's long name appears whole in its 80-column help."""
    text = _help(*command)
    assert all(len(line) <= 80 for line in text.splitlines())
    click_command = get_command(app)
    for name in command:
        click_command = click_command.commands[name]  # type: ignore[attr-defined]
    names = {o for p in click_command.params for o in (*p.opts, *p.secondary_opts)}
    assert {n for n in names if n.startswith("--")} <= _names(text)


def test_no_help_points_at_the_readme() -> None:
    """Help that needs more points into docs/, not at the README."""
    for command in _commands():
        assert "README" not in _help(*command, columns=200), command
