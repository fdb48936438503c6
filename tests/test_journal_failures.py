"""A journal that cannot be written is never worked around: a disk that fills while
sending stops the sending, settles what is in flight and exits 4 with the resume command
(and `resume` then places each order once); a full disk, a read-only file or folder at the
start is refused (exit 2, nothing sent); `report` reads a read-only journal; a journal
copied without its `-wal` file is named as such. The `tradeburst` commands run as
processes, against the rehearsal exchange."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from test_journal import _intents, _run_record
from tradeburst.engine import open_journal
from tradeburst.exchange import Exchange, NetworkModel

from _engine_support import (
    OPEN_CLOCK,
    QUICK_AGE,
    Background,
    Completed,
    assert_one_order_per_intent,
    cli_args,
    cli_env,
    journal_of,
    placed,
    run_cli,
    wait_for_placed,
    write_orders,
)
from _support import ADMIN, KEY_A, StartExchange

ORDERS = 150
FILL_AT = 20
"""Orders the exchange must hold before the journal's disk is filled."""
SETPRIV = shutil.which("setpriv")
NO_DAC = "-dac_override,-dac_read_search"


@pytest.fixture
async def steady(start_exchange: StartExchange) -> Exchange:
    """Single orders, 5 ms each way, no limits: a burst of a few hundred lasts a second."""
    return await start_exchange(
        clock_start=OPEN_CLOCK, always_open=False, network=NetworkModel(latency_ms=5)
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of its own (root only), unmounted after."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount(8) to make a small filesystem to fill")
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    """Write zeros into `folder` until its filesystem is full; the filler's path."""
    filler = folder / "filler"
    with filler.open("wb") as file:
        try:
            while True:
                file.write(b"\0" * 65536)
                file.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def _fire(source: Path, url: str, journal: Path) -> list[str]:
    return ["fire", str(source), "--url", url, "--api-key", KEY_A, "--journal", str(journal),
            "--batch-size", "1", "--concurrency", "4", *QUICK_AGE]  # fmt: skip


def _resume(journal: Path, url: str) -> list[str]:
    return ["resume", "--journal", str(journal), "--api-key", KEY_A, "--url", url, *QUICK_AGE]


async def test_a_disk_that_fills_mid_run_stops_sending_and_resume_finishes(
    steady: Exchange, session: aiohttp.ClientSession, small_disk: Path, tmp_path: Path
) -> None:
    """The journal's disk fills while sending: sending stops, what was in flight is
    settled, exit 4 with a line naming the journal and the resume command, no traceback;
    once the disk has room, `resume` places every order exactly once."""
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    journal = small_disk / "run.sqlite"
    client = Background(tmp_path, "fire")
    try:
        await client.start(*_fire(source, steady.url, journal), cwd=tmp_path)
        await wait_for_placed(session, steady.url, ADMIN, FILL_AT, client)
        filler = await asyncio.to_thread(_fill, small_disk)
        stopped = await client.wait()
    finally:
        client.stop()
    assert stopped.returncode == 4, stopped.output
    text = " ".join(stopped.output.split())
    assert f"{journal}: cannot write the journal" in text and "sending stopped" in text
    assert f"tradeburst resume --journal {journal}" in text
    assert "Traceback" not in stopped.output
    sent = len(await placed(session, steady.url, ADMIN))
    assert FILL_AT <= sent < ORDERS  # it stopped mid-run

    filler.unlink()
    resumed = await run_cli(*_resume(journal, steady.url), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.output
    run, intents = journal_of(journal)
    assert len(intents) == ORDERS
    assert_one_order_per_intent(await placed(session, steady.url, ADMIN),
                                [i.user_def for i in intents])  # fmt: skip
    assert all(i.user_def.startswith(run.run_id) for i in intents)


async def test_a_full_disk_at_the_start_sends_nothing(
    steady: Exchange, session: aiohttp.ClientSession, small_disk: Path, tmp_path: Path
) -> None:
    """No room for the journal: exit 2 naming it, nothing sent, no traceback."""
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    await asyncio.to_thread(_fill, small_disk)
    done = await run_cli(*_fire(source, steady.url, small_disk / "run.sqlite"), cwd=tmp_path)
    assert done.returncode == 2, done.output
    assert f"{small_disk / 'run.sqlite'}" in done.stderr and "nothing sent" in done.stderr
    assert "Traceback" not in done.output
    assert await placed(session, steady.url, ADMIN) == []


# -- read-only ------------------------------------------------------------------------


def _as_a_user(*args: str) -> list[str]:
    """The command as a user bound by file modes: root without its override of them."""
    if os.geteuid() != 0:
        return cli_args(*args)
    if SETPRIV is None:
        pytest.skip("needs setpriv (util-linux) to drop root's override of file modes")
    return [SETPRIV, f"--inh-caps={NO_DAC}", f"--bounding-set={NO_DAC}", *cli_args(*args)]


async def _run_as_a_user(*args: str, cwd: Path) -> Completed:
    process = await asyncio.create_subprocess_exec(
        *_as_a_user(*args), cwd=cwd, env=cli_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(60):
        stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return Completed(process.returncode, stdout.decode(), stderr.decode())


@contextlib.contextmanager
def _read_only(*paths: Path) -> Iterator[None]:
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


async def test_fire_into_a_read_only_folder_or_file_sends_nothing(
    steady: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A journal that cannot be written: exit 2 naming it, nothing sent."""
    source = write_orders(tmp_path / "orders.csv", 5)
    folder = tmp_path / "ro"
    folder.mkdir()
    used = tmp_path / "used.sqlite"
    used.write_bytes(b"")
    for journal, locked in ((folder / "run.sqlite", folder), (used, used)):
        with _read_only(locked):
            done = await _run_as_a_user(*_fire(source, steady.url, journal), cwd=tmp_path)
        assert done.returncode == 2, done.output
        said = " ".join(done.stderr.split())
        assert f"{journal}" in said and "read-only" in said and "nothing sent" in said, said
        assert "Traceback" not in done.output
    assert await placed(session, steady.url, ADMIN) == []


async def _crashed_journal(folder: Path) -> str:
    """A journal as a kill leaves it, its run only in its `-wal` file (copied while held
    open); the run's id."""
    source = folder.parent / f"{folder.name}-source.sqlite"
    await asyncio.to_thread(folder.mkdir)
    async with open_journal(source, "create") as journal:
        await journal.start_run(_run_record(), _intents())
        for suffix in ("", "-wal"):
            shutil.copyfile(f"{source}{suffix}", folder / f"run.sqlite{suffix}")
    return _run_record().run_id


async def test_report_reads_a_read_only_journal(tmp_path: Path) -> None:
    """`report` on a journal in a read-only folder, closed cleanly or left by a crash with
    its `-wal` file: the report, exit 0, nothing written beside it."""
    journal = tmp_path / "ro" / "run.sqlite"
    async with open_journal(journal, "create") as clean:
        await clean.start_run(_run_record(), _intents())
        await clean.finish_run(_run_record().run_id, 5_000)
    crashed = tmp_path / "crashed"
    runs = {journal: _run_record().run_id, crashed / "run.sqlite": await _crashed_journal(crashed)}
    for where, run_id in runs.items():
        before = sorted(p.name for p in where.parent.iterdir())
        with _read_only(where.parent, *where.parent.iterdir()):
            done = await _run_as_a_user("report", "--journal", str(where), cwd=tmp_path)
        assert done.returncode == 0, done.output
        assert run_id in done.stdout and "Traceback" not in done.output
        assert sorted(p.name for p in where.parent.iterdir()) == before


async def test_resume_of_a_journal_without_its_wal_says_so_and_sends_nothing(
    steady: Exchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A journal copied without its `-wal` file after a crash: `resume` names the missing
    file and warns that firing again would duplicate; exit 2, nothing sent."""
    await _crashed_journal(tmp_path / "crashed")
    copy = tmp_path / "crashed" / "run.sqlite"
    await asyncio.to_thread(Path(f"{copy}-wal").unlink)
    done = await run_cli(*_resume(copy, steady.url), cwd=tmp_path)
    assert done.returncode == 2, done.output
    said = " ".join(done.stderr.split())
    assert "run.sqlite-wal is missing" in said and "twice" in said, said
    assert "Traceback" not in done.output
    assert await placed(session, steady.url, ADMIN) == []
