"""Several `fire` processes on one account through the shared throttle on a real
`redis-server`, against a real exchange process: no refusal, every order once, and the
exchange's own receive stamps never over a window; a process killed with SIGKILL frees
its slots after the lease; Redis restarted mid-run changes nothing; Redis out of reach
stops a run before it starts (exit 2) or mid-run (exit 4)."""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import pytest

from tradeburst.engine import ThrottleError, throttle_url

from _engine_support import (
    QUICK_AGE,
    Background,
    Completed,
    admin_stats,
    assert_one_order_per_intent,
    exchange_process,
    journal_of,
    placed,
    run_cli,
    wait_for_own_orders,
    wait_for_placed,
    write_orders,
)
from _redis_server import RedisServer, free_port
from _shared_support import assert_within_windows
from _support import ADMIN, KEY_A

RESTART_ORDERS = 400
"""Orders of each of the two runs Redis restarts under: 800 take over two Fubon windows."""
PER_PROCESS = 120
"""Orders per process: three of them need more than one window of the account's budget
(Fubon: 10 batch calls of 30 a second; Shioaji: 250 orders in 10 s)."""
CONCURRENCY = {"fubon": "3", "shioaji": "1"}
"""Connections per process: three fit the account's (Fubon 10, Shioaji 5) with their
logins, which come before the shared connection count."""


def fire_args(
    source: Path, url: str, journal: Path, throttle: str | None, concurrency: str = "3"
) -> list[str]:
    shared = ("--throttle", throttle) if throttle else ()
    # The bots fire files of the same orders on one account on purpose: `--again`, or the
    # rule against sending the same orders twice in a day would refuse all but the first.
    return ["fire", str(source), "--url", url, "--api-key", KEY_A, "--journal", str(journal),
            "--concurrency", concurrency, "--again", *QUICK_AGE, *shared]  # fmt: skip


async def start_fires(
    tmp_path: Path,
    url: str,
    throttle: str | None,
    count: int = 3,
    orders: int = PER_PROCESS,
    concurrency: str = "3",
) -> list[Background]:
    clients = []
    for i in range(count):
        source = write_orders(tmp_path / f"orders{i}.csv", orders)
        client = Background(tmp_path, f"fire{i}")
        journal = tmp_path / f"run{i}.sqlite"
        await client.start(*fire_args(source, url, journal, throttle, concurrency), cwd=tmp_path)
        clients.append(client)
    return clients


async def finished(clients: Sequence[Background]) -> list[Completed]:
    try:
        return list(await asyncio.gather(*(client.wait() for client in clients)))
    finally:
        for client in clients:
            client.stop()


async def three_on_one_account(
    tmp_path: Path, session: aiohttp.ClientSession, redis_url: str, profile: str
) -> None:
    with exchange_process(tmp_path, KEY_A, ADMIN, "--profile", profile) as exchange:
        url = await exchange.started()
        clients = await start_fires(tmp_path, url, redis_url, concurrency=CONCURRENCY[profile])
        done = await finished(clients)
        records = await placed(session, url, ADMIN)
        stats = await admin_stats(session, url, ADMIN)
    for completed in done:
        assert completed.returncode == 0, completed.output[-2000:]
    assert stats["rate_limited"] == 0
    user_defs = [i.user_def for n in range(3) for i in journal_of(tmp_path / f"run{n}.sqlite")[1]]
    assert len(user_defs) == 3 * PER_PROCESS
    assert_one_order_per_intent(records, user_defs)
    assert_within_windows(records, profile)


async def test_three_processes_share_fubons_limits(
    tmp_path: Path, session: aiohttp.ClientSession, redis_url: str
) -> None:
    """Three `fire`s on one Fubon account: no refusal, every order once, no window over."""
    await three_on_one_account(tmp_path, session, redis_url, "fubon")


async def test_three_processes_are_never_suspended_by_shioaji(
    tmp_path: Path, session: aiohttp.ClientSession, redis_url: str
) -> None:
    """Three `fire`s on one Shioaji account (250 orders per 10 s, a breach suspends it):
    no refusal, so no suspension, and every order once."""
    await three_on_one_account(tmp_path, session, redis_url, "shioaji")


async def test_a_killed_process_frees_its_slots_after_the_lease(
    tmp_path: Path, session: aiohttp.ClientSession, redis_server: RedisServer, redis_url: str
) -> None:
    """SIGKILL one of three mid-burst: the others finish without a refusal, and what the
    killed one held ends no later than one lease and one window after it died."""
    # A lease long enough that a process starved of the CPU (several test workers on two
    # cores) still renews it before it is killed: it holds its connections at the kill.
    lease_s = 3.0
    throttle = redis_url + f"?lease_s={lease_s:g}"
    db = redis_server.client(int(redis_url.rsplit("/", 1)[1]))
    with exchange_process(tmp_path, KEY_A, ADMIN, "--profile", "fubon") as exchange:
        url = await exchange.started()
        clients = await start_fires(tmp_path, url, throttle)
        victim = clients[0]
        await wait_for_own_orders(session, url, ADMIN, victim, at_least=20)  # mid-burst
        assert victim.process is not None
        owner = f"{victim.process.pid}-".encode()
        victim.signal(signal.SIGKILL)
        killed_s = float(db.time()[0]) + 1
        zsets = [key for key in db.scan_iter("tradeburst:*") if db.type(key) == b"zset"]
        members = [m for key in zsets for m in db.zrange(key, 0, -1, withscores=True)]
        held = [score for member, score in members if member.startswith(owner)]
        done = await finished(clients)
        stats = await admin_stats(session, url, ADMIN)
    assert done[0].returncode == -signal.SIGKILL
    assert [c.returncode for c in done[1:]] == [0, 0], done[1].output[-2000:]
    assert stats["rate_limited"] == 0
    assert held  # it held its connections at least
    assert max(held) <= killed_s + lease_s + 1.0 + 0.01  # a lease and a window


async def test_a_redis_restart_mid_run_changes_nothing(
    tmp_path: Path, session: aiohttp.ClientSession, redis_server: RedisServer, redis_url: str
) -> None:
    """Redis restarted mid-burst (every slot forgotten): the runs wait one window and go
    on; no refusal, every order once."""
    with exchange_process(tmp_path, KEY_A, ADMIN, "--profile", "fubon") as exchange:
        url = await exchange.started()
        # Two windows of the account's budget between them, so neither is done at once.
        clients = await start_fires(tmp_path, url, redis_url, count=2, orders=RESTART_ORDERS)
        for client in clients:  # both are sending through Redis, not still starting
            await wait_for_own_orders(session, url, ADMIN, client, 30)
        redis_server.restart()
        done = await finished(clients)
        records = await placed(session, url, ADMIN)
        stats = await admin_stats(session, url, ADMIN)
    assert [c.returncode for c in done] == [0, 0], [c.output[-2000:] for c in done]
    assert stats["rate_limited"] == 0
    user_defs = [i.user_def for n in range(2) for i in journal_of(tmp_path / f"run{n}.sqlite")[1]]
    assert_one_order_per_intent(records, user_defs)


async def test_no_redis_at_the_start_sends_nothing(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    """`--throttle` to a Redis nobody runs: exit 2, a line saying so, nothing sent."""
    with exchange_process(tmp_path, KEY_A, ADMIN, "--profile", "fubon") as exchange:
        url = await exchange.started()
        source = write_orders(tmp_path / "orders.csv", 5)
        throttle = f"redis://127.0.0.1:{free_port()}/0"
        done = await run_cli(*fire_args(source, url, tmp_path / "run.sqlite", throttle),
                             cwd=tmp_path)  # fmt: skip
        records = await placed(session, url, ADMIN)
    assert done.returncode == 2
    assert f"the shared throttle at {throttle} cannot be reached" in done.stderr
    assert "Traceback" not in done.output
    assert records == []


async def test_redis_lost_mid_run_stops_sending_and_settles(
    tmp_path: Path, session: aiohttp.ClientSession, redis_server: RedisServer
) -> None:
    """Redis gone mid-burst for longer than the grace: sending stops (never a throttle of
    this process alone), what was sent is settled, exit 4."""
    lost = RedisServer(redis_server.directory / f"lost-{tmp_path.name}")
    lost.directory.mkdir()
    lost.start()
    try:
        with exchange_process(tmp_path, KEY_A, ADMIN, "--profile", "fubon") as exchange:
            url = await exchange.started()
            [client] = await start_fires(tmp_path, url, lost.fresh_url() + "?grace_s=0.5", 1, 800)
            await wait_for_placed(session, url, ADMIN, 100, client)
            lost.stop()
            [done] = await finished([client])
            records = await placed(session, url, ADMIN)
    finally:
        lost.stop()
    assert done.returncode == 4, done.output[-2000:]
    assert "was out of reach for 0.5 s" in done.output
    _, intents = journal_of(tmp_path / "run0.sqlite")
    sent = [i.user_def for i in intents if i.attempts]
    assert len(records) < 800
    assert_one_order_per_intent(records, sent)


async def test_a_throttle_url_that_is_not_redis_is_refused(tmp_path: Path) -> None:
    """`--throttle` that is no redis:// URL: exit 2 naming the option, before anything."""
    source = write_orders(tmp_path / "orders.csv", 1)
    done = await run_cli(*fire_args(source, "http://127.0.0.1:9", tmp_path / "run.sqlite",
                                    "http://127.0.0.1:6379/0"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert "--throttle" in done.stderr
    assert "redis://" in done.stderr
    assert "Traceback" not in done.output


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("redis://bot:Zq/ss-word@127.0.0.1:6379/0", "its port is not a number"),
        ("redis://bot:p@ss-word@127.0.0.1/ss-word", "database (its path) must be a number"),
        ("redis://bot:pass-word@127.0.0.1:99999/0", "its port is out of range"),
    ],
)
def test_a_bad_throttle_url_is_refused_without_quoting_its_password(
    given: str, problem: str
) -> None:
    """urllib's errors quote what follows the host's colon, where an unencoded `/` in a
    password puts part of it: the refusal says what is wrong in its own words."""
    with pytest.raises(ThrottleError, match=re.escape(problem)) as refused:
        throttle_url(given)
    assert "ss-word" not in str(refused.value) and "Zq" not in str(refused.value)


def test_a_throttle_urls_password_is_not_in_its_repr() -> None:
    """Options and settings are printed in logs and tracebacks by their repr."""
    url = throttle_url("redis://bot:s3cret-pw@127.0.0.1:6379/0")
    assert url.password == "s3cret-pw"
    assert "s3cret-pw" not in repr(url) and "s3cret-pw" not in url.shown
