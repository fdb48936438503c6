"""Helpers for the rush tests: exchange clocks set a few seconds before a target, targets as
`--at` text, and the checks that nothing left before the target, read from the exchange's
own receive stamps and from the journal."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from _journal_support import read_journal
from tradeburst.clock import TAIPEI, exchange_datetime, on_day_of
from tradeburst.engine import DispatchRecord, Intent
from tradeburst.exchange import SessionClock

from _engine_support import CLI_TIMEOUT_S, POLL_S, Background, admin_stats

TARGET = time(10, 0, 0)
"""Continuous trading, far from midnight, whatever the machine's own time is."""
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LEAD_S = 3
"""How far ahead of the target an in-process exchange's clock starts: time for the rush to
connect, journal and estimate the clock, and no more."""
CLI_LEAD_S = 25
"""How far ahead of the exchange's clock a CLI rush's target is set: time for the process
to start, connect (a Fubon login through the SDK stand-in), journal and estimate the
clock, with other test workers on the cores (starts took 9.6 and 12.3 s on a machine
starved by other work)."""


def clock_before(target: time = TARGET, seconds: float = LEAD_S) -> SessionClock:
    """An exchange clock that reads `seconds` before `target` (today, Asia/Taipei) now."""
    start = datetime.combine(datetime.now(TAIPEI).date(), target) - timedelta(seconds=seconds)
    return SessionClock(start=start.time())


def on_exchange_day(exchange_ns: int, at: time) -> int:
    """Epoch ns of `at` on the exchange's day of `exchange_ns`."""
    return on_day_of(exchange_ns, at)


def at_text(exchange_ns: int) -> str:
    """`--at` text for an exchange time, to the microsecond."""
    return exchange_datetime(exchange_ns).time().isoformat(timespec="microseconds")


def rush_args(source: Path, url: str, key: str, journal: Path, at: str, *options: str) -> list[str]:
    return ["rush", str(source), "--at", at, "--url", url, "--api-key", key,
            "--journal", str(journal), *options]  # fmt: skip


async def exchange_now_ns(url: str, key: str) -> int:
    """The exchange's clock, read on a connection closed at once (it must not hold one of
    the account's connections when the rush comes)."""
    headers = {"Authorization": f"Bearer {key}"}
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(f"{url}/v1/time", headers=headers) as response,
    ):
        assert response.status == 200, await response.text()
        body = await response.json()
    now: int = body["exchange_time_ns"]
    return now


def journal_run(path: Path) -> tuple[list[Intent], list[DispatchRecord]]:
    """The intents and dispatches of the journal's run (the writer must have exited)."""
    snapshot = read_journal(path)
    return snapshot.intents, snapshot.dispatches


def assert_received_from(records: list[dict[str, Any]], target_ns: int) -> None:
    """Every order the exchange holds arrived at or after `target_ns` on its own clock."""
    early = [(r["user_def"], target_ns - r["received_ns"]) for r in records
             if r["received_ns"] < target_ns]  # fmt: skip
    assert not early, f"{len(early)} orders arrived before the target (user_def, ns early): {early}"


def assert_sent_from_target(intents: list[Intent], dispatch: DispatchRecord) -> None:
    """The journal's rush dispatch has a target, and every send (the opening ones included)
    is stamped at or after it, on our wall clock."""
    assert dispatch.command == "rush"
    assert dispatch.target_ns is not None
    target_ns = dispatch.target_ns
    assert dispatch.opening_sends_ns, "no opening sends were kept"
    assert min(dispatch.opening_sends_ns) >= target_ns
    early = [i.user_def for i in intents if i.sent_ns < target_ns]
    assert not early, f"sent before the target: {early}"


def assert_once_each(records: list[dict[str, Any]], intents: list[Intent]) -> None:
    """The exchange holds one order per intent, all accepted, and nothing else."""
    counts = Counter(r["user_def"] for r in records)
    assert counts == Counter({i.user_def: 1 for i in intents})


async def wait_for_client_requests(
    session: aiohttp.ClientSession, url: str, admin_key: str, at_least: int, client: Background
) -> None:
    """Poll the exchange until it has served `at_least` requests besides these polls; fails
    if `client` exits first."""
    polls = 0
    async with asyncio.timeout(CLI_TIMEOUT_S):
        while True:
            polls += 1
            served = (await admin_stats(session, url, admin_key))["requests"] - polls
            if served >= at_least:
                return
            if client.process is not None and client.process.returncode is not None:
                done = await client.wait()
                raise AssertionError(f"exited {done.returncode} first: {done.output[-2000:]}")
            await asyncio.sleep(POLL_S)


def assert_three_pngs(folder: Path) -> None:
    """The report's three plots, and nothing else, each a PNG file with a picture in it."""
    names = {"latency_cdf.png", "send_timeline.png", "time_comparison.png"}
    assert {p.name for p in folder.iterdir()} == names
    for name in names:
        data = (folder / name).read_bytes()
        assert data.startswith(PNG_MAGIC), name
        assert len(data) > 1000, name
