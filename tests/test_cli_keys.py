"""Where `fire` finds the API key: a file only its owner can read, the environment, or the
option; a file others can read is refused before anything is sent."""

from __future__ import annotations

from pathlib import Path

from _engine_support import OPEN_CLOCK, run_cli, write_orders
from _support import KEY_A, StartExchange


async def test_a_key_file_readable_by_others_is_refused(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """Mode 0644: exit 2, the message says to chmod 600, and the key is not echoed."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    key_file = tmp_path / "key"
    key_file.write_text(KEY_A)
    key_file.chmod(0o644)
    source = write_orders(tmp_path / "orders.csv", 3)
    run = await run_cli(
        "fire", str(source), "--url", exchange.url, "--api-key-file", str(key_file), cwd=tmp_path
    )
    assert run.returncode == 2, run.output
    assert "chmod 600" in run.output
    assert KEY_A not in run.output
    assert not (tmp_path / "journal").exists()


async def test_a_key_file_of_mode_0600_is_used(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """Mode 0600: the key is read from the file and the run goes through."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    key_file = tmp_path / "key"
    key_file.write_text(KEY_A + "\n")
    key_file.chmod(0o600)
    source = write_orders(tmp_path / "orders.csv", 3)
    run = await run_cli(
        "fire", str(source), "--url", exchange.url, "--api-key-file", str(key_file), cwd=tmp_path
    )
    assert run.returncode == 0, run.output
    assert KEY_A not in run.output


async def test_no_key_anywhere_is_a_usage_error(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """Without a key: exit 2 naming the three places a key can come from."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 3)
    run = await run_cli("fire", str(source), "--url", exchange.url, cwd=tmp_path)
    assert run.returncode == 2, run.output
    assert "TRADEBURST_API_KEY" in run.output
    assert "Traceback" not in run.output


async def test_a_key_with_a_line_break_inside_is_a_usage_error(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """A key file of two lines, or a key ending in a carriage return: exit 2 before anything
    is sent, naming where the key came from, never echoing it (it used to be a traceback)."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    key_file = tmp_path / "key"
    key_file.write_text(f"{KEY_A}\nsecond-line\n")
    key_file.chmod(0o600)
    source = write_orders(tmp_path / "orders.csv", 3)
    from_file = await run_cli(
        "fire", str(source), "--url", exchange.url, "--api-key-file", str(key_file), cwd=tmp_path
    )
    from_option = await run_cli(
        "fire", str(source), "--url", exchange.url, "--api-key", f"{KEY_A}\r", cwd=tmp_path
    )
    for run, where in ((from_file, "--api-key-file"), (from_option, "--api-key")):
        assert run.returncode == 2, run.output
        said = " ".join(run.output.replace("│", " ").split())
        assert where in said and "space, line break or control character" in said, said
        assert KEY_A not in run.output and "Traceback" not in run.output
    assert not (tmp_path / "journal").exists()
