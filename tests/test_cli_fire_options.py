"""Options of `fire` that could make it unsafe are refused before anything is sent."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from _engine_support import OPEN_CLOCK, run_cli, write_orders
from _support import KEY_A, StartExchange


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--grace-ms", "0", "at least 100"),
        ("--grace-ms", "-5", "--grace-ms"),
        ("--url", "ftp://example", "is not a URL"),
        ("--url", "http://127.0.0.1:99999", "--url: 'http://127.0.0.1:99999' has no usable port"),
        ("--url", "http://127.0.0.1:0", "has no usable port"),
        ("--url", "http://:8080/", "has no host"),
        ("--profile", "nasdaq", "is not one of"),
        ("--max-notional", "-1", "is not a positive amount"),
    ],
)
async def test_an_unsafe_option_is_a_usage_error(
    start_exchange: StartExchange, tmp_path: Path, option: str, value: str, fragment: str
) -> None:
    """Exit 2, the option named, no traceback, no journal written."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 3)
    args = ["fire", str(source), "--url", exchange.url, "--api-key", KEY_A, option, value]
    if option == "--url":
        args[3] = value
        args = args[:-2]
    run = await run_cli(*args, cwd=tmp_path)
    assert run.returncode == 2, run.output
    assert fragment in " ".join(run.output.replace("│", " ").split())
    assert "Traceback" not in run.output
    assert not (tmp_path / "journal").exists()


@pytest.fixture
def unwritable_file(tmp_path: Path) -> Iterator[Path]:
    """A file nobody, root included, may write: immutable (`chattr +i`)."""
    path = tmp_path / "locked.json"
    path.write_text("{}\n")
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0 or os.access(path, os.W_OK):
        path.chmod(0o444)
    if os.access(path, os.W_OK):
        pytest.skip("this file system and user can write any file (no chattr +i here)")
    yield path
    subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


async def test_a_json_summary_that_cannot_be_written_is_refused_before_sending(
    start_exchange: StartExchange, tmp_path: Path, unwritable_file: Path
) -> None:
    """--json over a file that cannot be written: exit 2 naming it, nothing sent (it used to
    be a traceback after the orders went out)."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 3)
    run = await run_cli(
        "fire", str(source), "--url", exchange.url, "--api-key", KEY_A,
        "--json", str(unwritable_file), cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 2, run.output
    assert "cannot write over" in " ".join(run.output.replace("│", " ").split())
    assert "Traceback" not in run.output
    assert not (tmp_path / "journal").exists()


async def test_a_batch_size_over_the_brokers_is_capped_aloud(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """--batch-size 31 on a broker that takes 30: sent in batches of 30, and it says so (it
    used to be capped without a word)."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 40)
    run = await run_cli(
        "fire", str(source), "--url", exchange.url, "--api-key", KEY_A, "--batch-size", "31",
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.output
    assert "batch size 31 capped to 30" in " ".join(run.output.split())
