"""An output a command cannot write is found before anything is sent, and a write that
fails anyway is never exit 0: `fire --json /proc/x.json` used to send every order and
exit 0 without a summary, and `report --json` to an unwritable path exited 0."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from test_report import build_journal, report

from _engine_support import OPEN_CLOCK, placed, run_cli, write_orders
from _support import ADMIN, KEY_A, StartExchange

UNWRITABLE = Path("/proc/tradeburst-x.json")
"""No one may create a file there, root included, whatever `os.access` says."""


@pytest.mark.parametrize("command", ["fire", "rush"])
async def test_an_unwritable_summary_is_refused_before_anything_is_sent(
    start_exchange: StartExchange, tmp_path: Path, command: str
) -> None:
    exchange = await start_exchange(clock_start=OPEN_CLOCK)
    source = write_orders(tmp_path / "orders.csv", 3)
    at = ["--at", "23:59:59"] if command == "rush" else []
    run = await run_cli(
        command, str(source), *at, "--url", exchange.url, "--api-key", KEY_A,
        "--json", str(UNWRITABLE), cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 2, run.output
    assert f"cannot write {UNWRITABLE}" in run.output
    assert not (tmp_path / "journal").exists()
    async with aiohttp.ClientSession() as session:
        assert await placed(session, exchange.url, ADMIN) == []


def test_report_refuses_an_unwritable_json_path(tmp_path: Path) -> None:
    journal = build_journal(tmp_path / "run.sqlite")
    done = report("--journal", str(journal), "--json", str(UNWRITABLE), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"cannot write {UNWRITABLE}" in done.stdout + done.stderr


def test_report_whose_json_write_fails_does_not_exit_0(tmp_path: Path) -> None:
    """/dev/full opens but every write fails (ENOSPC): a full disk after the check."""
    journal = build_journal(tmp_path / "run.sqlite")
    done = report("--journal", str(journal), "--json", "/dev/full", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "could not be written to /dev/full" in done.stderr
