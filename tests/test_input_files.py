"""Every input file is read by one rule: a regular file, no larger than its kind's cap, or
a clear refusal naming it (exit 2, nothing sent). `/dev/zero` as an orders file, a
strategies file, an API key file or a Fubon config used to be read until memory ran out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tradeburst._inputs import KEY_FILE_MAX_BYTES, InputFileError, read_input
from tradeburst.brokers.fubon._credentials import CredentialsError, load_credentials
from tradeburst.cli import app

ZERO = Path("/dev/zero")
NO_BROKER = ["--url", "http://127.0.0.1:9", "--api-key", "k"]
"""Nothing listens there: a run that got past its input would fail differently."""


def _invoke(args: list[str]) -> Result:
    """The CLI in this process, its error boxes wide enough to keep a message on one line."""
    return CliRunner().invoke(app, args, env={"COLUMNS": "400"})


def test_a_device_is_refused_at_once() -> None:
    with pytest.raises(InputFileError, match="not a regular file"):
        read_input(ZERO, 1024)


def test_a_folder_is_refused_as_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="is a folder"):
        read_input(tmp_path, 1024)


def test_a_file_over_its_cap_is_refused_with_both_sizes(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(InputFileError, match="is 2 KiB, over the 1 KiB"):
        read_input(big, 1024)


def test_a_file_within_its_cap_is_read_whole(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.write_bytes(b"x" * 1024)
    assert read_input(small, 1024) == b"x" * 1024


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking_on_it(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="not a regular file"):
        read_input(fifo, 1024)


@pytest.mark.parametrize(
    "args",
    [
        ["fire", str(ZERO), *NO_BROKER],
        ["rush", str(ZERO), "--at", "23:59:59", *NO_BROKER],
        ["run", str(ZERO), *NO_BROKER],
    ],
    ids=["fire", "rush", "run"],
)
def test_dev_zero_as_the_input_is_refused_naming_it(args: list[str]) -> None:
    result = _invoke(args)
    assert result.exit_code == 2, result.output
    assert "/dev/zero: cannot read: it is not a regular file" in result.output
    assert "nothing was sent" in result.output


def test_dev_zero_as_the_api_key_file_is_refused(tmp_path: Path) -> None:
    """Mode 666 passed the owner-only check; it is not a file at all."""
    orders = tmp_path / "o.csv"
    orders.write_text("symbol,side,quantity,price\n2891,Buy,1000,40.60\n")
    result = _invoke(
        ["fire", str(orders), "--url", "http://127.0.0.1:9", "--api-key-file", str(ZERO)]
    )
    assert result.exit_code == 2
    assert "--api-key-file" in result.output and "not a regular file" in result.output


def test_an_api_key_file_over_its_cap_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("k" * (KEY_FILE_MAX_BYTES + 1))
    key.chmod(0o600)
    orders = tmp_path / "o.csv"
    orders.write_text("symbol,side,quantity,price\n2891,Buy,1000,40.60\n")
    result = _invoke(
        ["fire", str(orders), "--url", "http://127.0.0.1:9", "--api-key-file", str(key)]
    )
    assert result.exit_code == 2
    assert "over the 4 KiB" in result.output, result.output


def test_dev_zero_as_the_fubon_config_is_refused() -> None:
    with pytest.raises(CredentialsError, match="/dev/zero: cannot read it: it is not a regular"):
        load_credentials(ZERO, environ={})
