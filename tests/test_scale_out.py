"""Three bots on one account, as docs/shared-throttle.md tells a user to run them: each
`fire` takes its slots from one `redis-server` and keeps its run in one PostgreSQL
journal. One is killed with SIGKILL mid-burst; the other two finish without a refusal;
the killed run is resumed from another process by its id, through the same throttle and
journal; at the end every order of the three runs is at the exchange exactly once and no
window of the account held more than its limit."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest

from _postgres_server import PostgresServer
from tradeburst.engine import read_run

from _engine_support import (
    QUICK_AGE,
    RUN_LINE,
    Background,
    admin_stats,
    assert_one_order_per_intent,
    exchange_process,
    placed,
    run_cli,
    wait_for_own_orders,
    write_orders,
)
from _shared_support import assert_within_windows
from _support import ADMIN, KEY_A

PER_PROCESS = 120


@pytest.fixture
def journal_url(postgres: PostgresServer) -> str:
    return postgres.database("scale_out")


def _shared(url: str, journal: str, throttle: str) -> tuple[str, ...]:
    return ("--url", url, "--api-key", KEY_A, "--journal", journal, "--throttle", throttle,
            "--concurrency", "3", *QUICK_AGE)  # fmt: skip


async def test_a_killed_bot_resumes_through_the_shared_throttle_and_journal(
    tmp_path: Path, session: aiohttp.ClientSession, redis_url: str, journal_url: str
) -> None:
    throttle = redis_url + "?lease_s=1"
    bots = [Background(tmp_path, f"bot{i}") for i in range(3)]
    with exchange_process(tmp_path, KEY_A, ADMIN, "--profile", "fubon") as exchange:
        url = await exchange.started()
        try:
            for i, bot in enumerate(bots):
                source = write_orders(tmp_path / f"orders{i}.csv", PER_PROCESS)
                # `--again`: the bots send the same orders on purpose, as in
                # test_shared_throttle (a PostgreSQL journal is not read for repeats today).
                await bot.start("fire", str(source), "--again",
                                *_shared(url, journal_url, throttle), cwd=tmp_path)  # fmt: skip
            await wait_for_own_orders(session, url, ADMIN, bots[0], at_least=20)  # mid-burst
            bots[0].signal(signal.SIGKILL)
            done = await asyncio.gather(*(bot.wait() for bot in bots))
        finally:
            for bot in bots:
                bot.stop()
        assert done[0].returncode == -signal.SIGKILL
        assert [d.returncode for d in done[1:]] == [0, 0], done[1].output[-2000:]
        run_ids = [found.group(1) for d in done if (found := RUN_LINE.search(d.stdout))]
        assert len(run_ids) == 3, [d.output[-500:] for d in done]  # printed before sending
        killed_run = run_ids[0]

        resumed = await run_cli("resume", "--run", killed_run, *_shared(url, journal_url, throttle),
                                cwd=tmp_path)  # fmt: skip
        assert resumed.returncode == 0, resumed.output[-2000:]
        records = await placed(session, url, ADMIN)
        stats = await admin_stats(session, url, ADMIN)

    user_defs = []
    for run_id in run_ids:
        snapshot = await read_run(journal_url, run_id)
        assert len(snapshot.intents) == PER_PROCESS
        user_defs += [intent.user_def for intent in snapshot.intents]
    assert_one_order_per_intent(records, user_defs)
    assert stats["rate_limited"] == 0
    assert_within_windows(records, "fubon")
