"""`tradeburst._platform`, in this process: Ctrl-C reaches the run where the loop takes no
signal handler, and means what it meant once the run is over; pinning degrades to one line
where there are no cores to ask about; a secret's file is judged by its bits where they mean
something, and on Windows by where it lives; the loop's clock is fine where the platform's
is coarse. The CLI under the whole imitation is in test_platform_imitated.py."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
import types
from pathlib import Path

import pytest

from tradeburst import _platform
from tradeburst.brokers.fubon import CredentialsError, load_credentials


@pytest.fixture(autouse=True)
def nothing_said_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_platform, "_said", set())


def _refuse(*args: object) -> None:
    raise NotImplementedError


def test_ctrl_c_reaches_a_loop_that_takes_no_signal_handler() -> None:
    """The handler falls back to `signal.signal`; SIGINT then calls the callback on the
    loop, and after the loop has closed SIGINT is a KeyboardInterrupt again."""
    before = signal.getsignal(signal.SIGINT)
    called = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler = _refuse  # type: ignore[method-assign]
        stop = asyncio.Event()
        _platform.call_on_signals((signal.SIGINT,), lambda: (called.append(1), stop.set()))
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.wait_for(stop.wait(), 10)

    try:
        asyncio.run(main())
        assert called == [1]
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler runs at the next bytecode; the sleep is cut short
    finally:
        signal.signal(signal.SIGINT, before)


def test_no_affinity_calls_say_so_once_and_go_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without `os.sched_*` (macOS, Windows): no cores, no pinning, one warning."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.delattr(os, "sched_setaffinity", raising=False)
    with caplog.at_level(logging.WARNING, logger="tradeburst.platform"):
        assert _platform.allowed_cores() is None
        assert _platform.set_cores(0, {0}) is False
        assert _platform.allowed_cores() is None
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "cannot pin processes to cores" in said[0], said


def test_bits_that_mean_something_refuse_a_file_others_can_read(tmp_path: Path) -> None:
    """On Linux and macOS, 0640 is refused naming the mode and the fix; 0600 is taken."""
    key = tmp_path / "key"
    key.write_text("k")
    key.chmod(0o640)
    problem = _platform.private_file_problem(key, key.stat().st_mode)
    assert problem is not None and "mode 640" in problem and "chmod 600" in problem
    key.chmod(0o600)
    assert _platform.private_file_problem(key, key.stat().st_mode) is None


def test_on_windows_the_bits_are_not_read_but_a_network_folder_is_refused(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """0o666 is all Windows says: the file is taken with a line saying its permissions
    were not checked; a file on a `\\\\server\\share` path is refused."""
    monkeypatch.setattr(_platform, "NAME", "windows")
    key = tmp_path / "key"
    with caplog.at_level(logging.WARNING, logger="tradeburst.platform"):
        assert _platform.private_file_problem(key, 0o100666) is None
    assert f"permissions of {key} were not checked" in caplog.text
    shared = _platform.private_file_problem(Path("//server/share/key"), 0o100666)
    assert shared is not None and "shared or network folder" in shared


def test_fubon_credentials_on_windows_are_read_whatever_their_bits(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """A `--fubon-config` file of mode 0644 is refused on Linux and read on Windows (with
    the line), where only a network path is refused."""
    cert = tmp_path / "id.pfx"
    cert.write_bytes(b"certificate")
    config = tmp_path / "fubon.toml"
    config.write_text(f'personal_id = "A1"\napi_key = "k"\ncert_path = "{cert}"\n')
    config.chmod(0o644)
    with pytest.raises(CredentialsError, match="chmod 600"):
        load_credentials(config, {})
    monkeypatch.setattr(_platform, "NAME", "windows")
    with caplog.at_level(logging.WARNING, logger="tradeburst.platform"):
        assert load_credentials(config, {}).api_key == "k"
    assert "were not checked" in caplog.text
    with pytest.raises(CredentialsError, match="shared or network folder"):
        load_credentials(Path(f"/{config}"), {})


def test_the_loop_reads_a_fine_clock_where_monotonic_is_coarse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`run_loop` where `time.monotonic` reports 15.6 ms: `loop.time` is `perf_counter`."""
    real = time.get_clock_info

    def coarse(name: str) -> types.SimpleNamespace:
        info: types.SimpleNamespace = real(name)
        if name == "monotonic":
            info.resolution = 0.015625
        return info

    monkeypatch.setattr(time, "get_clock_info", coarse)

    async def clocks() -> tuple[float, float, float]:
        return time.perf_counter(), asyncio.get_running_loop().time(), time.perf_counter()

    before, loop_time, after = _platform.run_loop(clocks())
    assert before <= loop_time <= after
