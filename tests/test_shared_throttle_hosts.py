"""Two hosts on one account: two network namespaces, each joined to this one by a veth pair
with addresses of its own, one `fire` process in each, one Redis and one exchange here.
The bots reach both only over their veth link, as other machines would. Where the sandbox
forbids namespaces (no root, no `ip`), the test skips and says why."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from _engine_support import (
    QUICK_AGE,
    admin_stats,
    assert_one_order_per_intent,
    cli_env,
    exchange_process,
    journal_of,
    placed,
    write_orders,
)
from _redis_server import RedisServer
from _shared_support import assert_within_windows
from _support import ADMIN, KEY_A

HOST_ADDRESS = "10.213.{n}.1"
"""This namespace's end of link n; the bot's end is .2. Addresses of namespaces this test
makes itself: no traffic leaves the machine."""
ORDERS = 200
RUN_TIMEOUT_S = 120.0


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@contextlib.contextmanager
def namespaces(count: int) -> Iterator[list[str]]:
    """`count` namespaces, namespace n joined to this one by link 10.213.n.0/30."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("network namespaces need root and iproute2 (`ip`)")
    tag = os.getpid() % 10_000
    names = [f"tb{tag}n{n}" for n in range(1, count + 1)]
    try:
        for n, name in enumerate(names, start=1):
            here, there = f"tb{tag}h{n}", f"tb{tag}b{n}"
            host = HOST_ADDRESS.format(n=n)
            _ip("netns", "add", name)
            _ip("link", "add", here, "type", "veth", "peer", "name", there)
            _ip("link", "set", there, "netns", name)
            _ip("addr", "add", f"{host}/30", "dev", here)
            _ip("link", "set", here, "up")
            for args in (("addr", "add", f"10.213.{n}.2/30", "dev", there),
                         ("link", "set", there, "up"), ("link", "set", "lo", "up"),
                         ("route", "add", "default", "via", host)):  # fmt: skip
                _ip("netns", "exec", name, "ip", *args)
    except subprocess.CalledProcessError as exc:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        pytest.skip(f"the sandbox forbids network namespaces: {exc.stderr.strip()}")
    try:
        yield names
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


async def test_two_hosts_share_one_accounts_limits(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    """One `fire` in each of two namespaces, through one Redis and one exchange reached
    over veth links: no refusal, every order once, no window over."""
    with namespaces(2) as hosts:
        server = RedisServer(tmp_path, bind=HOST_ADDRESS.format(n=1))
        server.start()
        address = HOST_ADDRESS.format(n=1)
        try:
            options = ("--profile", "fubon", "--host", address)
            with exchange_process(tmp_path, KEY_A, ADMIN, *options) as exchange:
                url = await exchange.started()
                bots = []
                for n, host in enumerate(hosts):
                    source = write_orders(tmp_path / f"orders{n}.csv", ORDERS)
                    throttle = f"redis://{address}:{server.port}/0"
                    args = ["ip", "netns", "exec", host, sys.executable, "-m", "tradeburst",
                            "fire", str(source), "--url", url, "--api-key", KEY_A,
                            "--journal", str(tmp_path / f"run{n}.sqlite"), "--concurrency", "3",
                            "--throttle", throttle, "--again", *QUICK_AGE]  # fmt: skip
                    bots.append(await asyncio.create_subprocess_exec(
                        *args, cwd=tmp_path, env=cli_env(),
                        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                    ))  # fmt: skip
                async with asyncio.timeout(RUN_TIMEOUT_S):
                    outputs = [(await bot.communicate())[0].decode() for bot in bots]
                records = await placed(session, url, ADMIN)
                stats = await admin_stats(session, url, ADMIN)
        finally:
            server.stop()
    assert [bot.returncode for bot in bots] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    assert stats["rate_limited"] == 0
    user_defs = [i.user_def for n in range(2) for i in journal_of(tmp_path / f"run{n}.sqlite")[1]]
    assert len(user_defs) == 2 * ORDERS
    assert_one_order_per_intent(records, user_defs)
    assert_within_windows(records, "fubon")
