"""The shared journal in PostgreSQL, on a server the tests start themselves: a run
journaled there keeps what it is given, is worked by one process at a time (a session
advisory lock, freed when its holder dies), and a run killed mid-burst is resumed from
another process by its id with exactly one order per intent at the exchange, then
reported. A URL's password reaches no output."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from _postgres_server import PASSWORD, PostgresServer
from test_journal import RUN_ID, _intents, _run_record, _settle
from tradeburst.engine import IntentState, JournalError, journal_location, open_journal, read_run
from tradeburst.exchange import Exchange, NetworkModel

from _engine_support import (
    OPEN_CLOCK,
    QUICK_AGE,
    Background,
    assert_one_order_per_intent,
    cli_env,
    placed,
    run_cli,
    wait_for_placed,
    write_orders,
)
from _support import ADMIN, KEY_A, StartExchange

ORDERS = 200
KILL_AT = 30
RUN_LINE = re.compile(r"^run: (\w+)$", re.MULTILINE)


@pytest.fixture
def journal_url(postgres: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A fresh database of the session's server, for this test alone."""
    return postgres.database(f"t_{abs(hash(request.node.nodeid)) % 10**9}")


@pytest.fixture
async def steady(start_exchange: StartExchange) -> Exchange:
    """Single orders, 5 ms each way, no limits: a burst of a few hundred lasts a second."""
    return await start_exchange(
        clock_start=OPEN_CLOCK, always_open=False, network=NetworkModel(latency_ms=5)
    )


async def test_a_run_round_trips_through_postgres(journal_url: str) -> None:
    """The run, its intents and each group commit come back from the database as given."""
    intents = _intents()
    async with open_journal(journal_url, "create") as journal:
        await journal.start_run(_run_record(), intents)
        for n, intent in enumerate(intents[:2]):
            _settle(intent, sent_ns=3_000 + n)
            journal.record(intent)
            await journal.flush()
        journal.note_alive(9_000)
        await journal.finish_run(RUN_ID, 9_999)
        assert await journal.last_sign_of_life_ns(RUN_ID, 0) == 9_999
    snapshot = await read_run(journal_url, RUN_ID)
    assert snapshot.run == _run_record().__class__(**{**_asdict(_run_record()),
                                                       "finished_ns": 9_999})  # fmt: skip
    assert [i.order for i in snapshot.intents] == [i.order for i in intents]
    assert [i.state for i in snapshot.intents] == [IntentState.ACCEPTED] * 2 + [
        IntentState.PENDING
    ] * 2
    assert [i.sent_ns for i in snapshot.intents[:2]] == [3_000, 3_001]


def _asdict(record: object) -> dict[str, object]:
    return {name: getattr(record, name) for name in record.__slots__}  # type: ignore[attr-defined]


async def test_a_run_id_is_written_once_and_a_shared_journal_needs_it(journal_url: str) -> None:
    """A second run with the same id is refused; reading without --run names the runs."""
    async with open_journal(journal_url, "create") as journal:
        await journal.start_run(_run_record(), _intents())
    async with open_journal(journal_url, "create") as journal:
        with pytest.raises(JournalError, match=f"already holds a run {RUN_ID}"):
            await journal.start_run(_run_record(), _intents())
    with pytest.raises(JournalError, match=f"name one with --run RUNID \\(latest: {RUN_ID}\\)"):
        await read_run(journal_url)
    with pytest.raises(JournalError, match="holds no run NOSUCH"):
        await read_run(journal_url, "NOSUCH")


_HOLD_THE_RUN = """
import asyncio, sys
from tradeburst.engine import open_journal

async def main():
    async with open_journal(sys.argv[1], "work", sys.argv[2]):
        print("holding", flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


async def test_the_advisory_lock_refuses_a_second_resumer_until_the_first_dies(
    journal_url: str,
) -> None:
    """While one process works the run, another is refused; when the holder is killed
    with SIGKILL, the server frees the lock and the run can be worked again."""
    async with open_journal(journal_url, "create") as journal:
        await journal.start_run(_run_record(), _intents())
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _HOLD_THE_RUN, journal_url, RUN_ID,
        stdout=asyncio.subprocess.PIPE, env=cli_env(),
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        async with asyncio.timeout(60):
            assert (await holder.stdout.readline()).strip() == b"holding"
        with pytest.raises(JournalError, match=f"run {RUN_ID} is being worked by another"):
            async with open_journal(journal_url, "work", RUN_ID):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
    async with asyncio.timeout(60):  # the server sees the dead connection and frees its lock
        while True:
            try:
                async with open_journal(journal_url, "work", RUN_ID) as journal:
                    assert (await journal.snapshot()).run.run_id == RUN_ID
                    break
            except JournalError as exc:
                assert "being worked by another" in str(exc)
                await asyncio.sleep(0.05)


def _fire(source: Path, url: str, journal: str) -> list[str]:
    return ["fire", str(source), "--url", url, "--api-key", KEY_A, "--journal", journal,
            "--batch-size", "1", "--concurrency", "4", *QUICK_AGE]  # fmt: skip


async def test_a_run_killed_mid_burst_is_resumed_from_another_process(
    steady: Exchange,
    session: aiohttp.ClientSession,
    postgres: PostgresServer,
    journal_url: str,
    tmp_path: Path,
) -> None:
    """`fire --journal postgresql://…` killed with SIGKILL mid-burst; `resume --journal URL
    --run RUNID` from another process (the password from PGPASSWORD this time) leaves
    exactly one order per intent at the exchange; `report` reads the run; the password
    appears in no output or summary."""
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    client = Background(tmp_path, "fire")
    try:
        await client.start(*_fire(source, steady.url, journal_url), cwd=tmp_path)
        await wait_for_placed(session, steady.url, ADMIN, KILL_AT, client)
        client.signal(signal.SIGKILL)
        killed = await client.wait()
    finally:
        client.stop()
    assert killed.returncode == -signal.SIGKILL, killed.output
    found = RUN_LINE.search(killed.stdout)
    assert found, killed.output  # printed before the first send, so a kill leaves it
    run_id = found.group(1)
    assert len(await placed(session, steady.url, ADMIN)) < ORDERS

    bare = journal_url.replace(f":{PASSWORD}@", "@")
    summary = tmp_path / "resume.json"
    resumed = await _cli_with_pgpassword(
        "resume", "--journal", bare, "--run", run_id, "--api-key", KEY_A, "--url", steady.url,
        *QUICK_AGE, "--json", str(summary), cwd=tmp_path,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    snapshot = await read_run(journal_url, run_id)
    assert len(snapshot.intents) == ORDERS
    assert_one_order_per_intent(await placed(session, steady.url, ADMIN),
                                [i.user_def for i in snapshot.intents])  # fmt: skip
    written = json.loads(summary.read_text())
    assert (written["run_id"], written["journal"]) == (run_id, bare)

    reported = await run_cli("report", "--journal", journal_url, "--run", run_id, cwd=tmp_path)
    assert reported.returncode == 0, reported.output
    assert run_id in reported.stdout
    for output in (killed.output, resumed.stdout, resumed.stderr, reported.output,
                   summary.read_text()):  # fmt: skip
        assert PASSWORD not in output


async def _cli_with_pgpassword(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**cli_env(), "PGPASSWORD": PASSWORD}
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "tradeburst", *args], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_a_wrong_password_is_refused_without_printing_it(
    steady: Exchange, session: aiohttp.ClientSession, postgres: PostgresServer, tmp_path: Path
) -> None:
    """A URL whose password the server refuses: exit 2, the URL shown without it, nothing
    sent."""
    source = write_orders(tmp_path / "orders.csv", 5)
    wrong = postgres.url().replace(PASSWORD, "Wr0ng-Pa55")
    done = await run_cli(*_fire(source, steady.url, wrong), cwd=tmp_path)
    assert done.returncode == 2, done.output
    assert "Wr0ng-Pa55" not in done.output and "Traceback" not in done.output
    assert f"postgresql://tradeburst@127.0.0.1:{postgres.port}/postgres" in done.stderr
    assert await placed(session, steady.url, ADMIN) == []


def test_the_server_helper_refuses_a_url_without_the_password(postgres: PostgresServer) -> None:
    """The server really checks passwords (else the tests above would prove nothing)."""
    done = subprocess.run(
        [sys.executable, "-c", "import asyncio, asyncpg, sys;"
         "asyncio.run(asyncpg.connect(sys.argv[1]))", postgres.url(password=False)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PGPASSWORD": ""},
        check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "password" in done.stderr


@pytest.mark.parametrize(
    ("given", "shown", "secret"),
    [
        ("postgresql://ann:s3cr%40t@db.example:5433/runs", "postgresql://ann@db.example:5433/runs",
         "s3cr@t"),
        ("postgres://ann@db:5432/runs?password=pw9&sslmode=require",
         "postgres://ann@db:5432/runs?password=***&sslmode=require", "pw9"),
        ("postgresql://ann@db/runs", "postgresql://ann@db/runs", None),
    ],
)  # fmt: skip
def test_a_journal_url_is_shown_without_its_password(
    given: str, shown: str, secret: str | None
) -> None:
    """The URL a user sees has no password, and a driver's error quoting it is scrubbed."""
    location = journal_location(given)
    assert (location.shown, str(location), location.shared) == (shown, shown, True)
    assert location.password == secret
    if secret is not None:
        assert secret not in location.scrub(f"failed for {given}: password {secret} refused")


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("postgresql://ann:pw@/runs", "names no host"),
        ("postgresql://ann:pw@db:5432/", "names no database"),
        ("postgresql://ann:pw@db:99999/runs", "port is out of range"),
        ("mysql://ann:pw@db/runs", "a file or a postgresql:// URL"),
    ],
)
def test_a_bad_journal_url_is_refused_naming_it_without_its_password(
    given: str, problem: str
) -> None:
    with pytest.raises(JournalError, match=problem) as refused:
        journal_location(given)
    assert ":pw@" not in str(refused.value) and "ann@" in str(refused.value)
