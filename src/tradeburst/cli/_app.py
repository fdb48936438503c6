"""The `tradeburst` application and its sub-commands."""

from __future__ import annotations

import typer

from tradeburst.cli._account import account_command
from tradeburst.cli._bench import bench_app
from tradeburst.cli._cancel_all import cancel_all_command
from tradeburst.cli._config import load_config
from tradeburst.cli._config_view import config_command
from tradeburst.cli._demo import demo_command
from tradeburst.cli._exchange import exchange_command
from tradeburst.cli._fire import fire_command
from tradeburst.cli._rehearse import REHEARSE_SETTINGS, rehearse_command
from tradeburst.cli._report import report_command
from tradeburst.cli._resume import resume_command
from tradeburst.cli._run import run_command
from tradeburst.cli._rush import RUSH_HELP, rush_command
from tradeburst.cli._slice import slice_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="tradeburst",
    help="Rush batches of Taiwan stock orders as fast as the broker allows, and measure it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    callback=load_config,
)
app.command("exchange")(exchange_command)
app.command("fire")(fire_command)
app.command("rush", help=RUSH_HELP)(rush_command)
app.command("resume")(resume_command)
app.command("report")(report_command)
app.command("demo")(demo_command)
app.command("run")(run_command)
app.command("slice")(slice_command)
app.command("rehearse", context_settings=REHEARSE_SETTINGS)(rehearse_command)
app.command("cancel-all")(cancel_all_command)
app.command("account")(account_command)
app.command("config")(config_command)
app.add_typer(bench_app, name="bench")


def main() -> None:
    app()
