"""Helpers for the engine tests: orders files, `tradeburst` run as its own process (the CLI
under test, or an exchange with faults), and what the exchange's admin API says was placed.

Nothing here stands in for the network: every helper talks to a real exchange over TCP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from pathlib import Path
from time import monotonic
from typing import Any

import aiohttp
from aiohttp import web

from _journal_support import read_journal
from tradeburst import testing
from tradeburst.engine import Intent, RunRecord
from tradeburst.exchange import FaultRates
from tradeburst.model import Order, Side

from _support import Api

HEADER = "symbol,side,quantity,price,price_type,time_in_force,market_type,order_type,tag"
OPEN_CLOCK = time(9, 30)
QUICK_AGE_S = 2.0
"""A short request age for tests whose exchange acts on each request the moment it reads
it (no `late_rate`): no request can land late there, and resends stay quick."""
QUICK_AGE = ("--max-request-age", str(QUICK_AGE_S))
"""Continuous trading: limit orders are taken and matched at once."""
CLI_TIMEOUT_S = 60.0
"""Bound on one CLI run; a hang fails the test instead of the whole session."""
START_TIMEOUT_S = 30.0
POLL_S = 0.01
LISTENING = re.compile(r"tradeburst exchange listening on (http://\S+)")

COUNTING_FAULTS = FaultRates(stall=1.0, stall_ms=0.0)
"""Every order action is 'stalled' for 0 ms: the answer is unchanged, and the admin
stats' `faults.stall` counts every order action (place, batch, cancel, modify) the
exchange took, which is how a test proves nothing was sent."""


def order_line(i: int, *, price: str = "40.60", quantity: int = 1000, **cells: str) -> str:
    """One CSV row under `HEADER`, tagged with its number so no two rows are duplicates."""
    fields = {
        "symbol": "2891",
        "side": "Buy",
        "quantity": str(quantity),
        "price": price,
        "price_type": "Limit",
        "time_in_force": "ROD",
        "market_type": "Common",
        "order_type": "Stock",
        "tag": f"t{i}",
        **cells,
    }
    return ",".join(fields[name] for name in HEADER.split(","))


REFERENCE_BUY = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"))
"""A limit buy of 2891 at its reference price: taken at once, and rests in the book."""


def write_orders(path: Path, count: int, *, extra: Sequence[str] = ()) -> Path:
    """`count` limit buys of 2891 at the reference, then the `extra` rows."""
    testing.write_orders(path, [REFERENCE_BUY] * count)
    if extra:
        with path.open("a", encoding="utf-8") as file:
            file.write("\n".join(extra) + "\n")
    return path


@dataclass(frozen=True, slots=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli_env() -> dict[str, str]:
    """The environment without any tradeburst setting the developer may have exported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEBURST_")}
    env["PYTHONUNBUFFERED"] = "1"
    # Wide enough that no message wraps inside a word, whatever the length of the test's
    # temporary folder (longer under several workers): tests look for whole phrases.
    env["COLUMNS"] = "400"
    return env


def cli_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "tradeburst", *args]


async def run_cli(*args: str, cwd: Path, timeout_s: float = CLI_TIMEOUT_S) -> Completed:
    """`tradeburst ARGS` to completion, without blocking the loop serving the exchange."""
    process = await asyncio.create_subprocess_exec(
        *cli_args(*args),
        cwd=cwd,
        env=cli_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout_s):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Completed(process.returncode, stdout.decode(), stderr.decode())


class Background:
    """`tradeburst ARGS` running on its own, its output in files (no pipe can fill up)."""

    def __init__(self, directory: Path, name: str) -> None:
        self.stdout_path = directory / f"{name}.stdout"
        self.stderr_path = directory / f"{name}.stderr"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, *args: str, cwd: Path, sigint_ignored: bool = False) -> None:
        """Start it; with `sigint_ignored`, with Ctrl-C ignored from its first instruction,
        as a shell starts a background job (`&`) and as every process of a test run
        started that way inherits it."""
        command = cli_args(*args)
        if sigint_ignored:
            command = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.process = await asyncio.create_subprocess_exec(
                *command, cwd=cwd, env={**cli_env(), "PYTHONFAULTHANDLER": "1"},
                stdout=stdout, stderr=stderr,
            )  # fmt: skip

    async def wait(self) -> Completed:
        """Its exit code and output; a process still running after `CLI_TIMEOUT_S` is
        aborted (its threads' stacks written to its stderr), then killed, and its output
        shown, so that a hang says where it hung."""
        assert self.process is not None
        try:
            async with asyncio.timeout(CLI_TIMEOUT_S):
                returncode = await self.process.wait()
        except TimeoutError:
            if hasattr(signal, "SIGABRT"):  # faulthandler writes every thread's stack first
                self.process.send_signal(signal.SIGABRT)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.process.wait(), 10)
            if self.process.returncode is None:
                self.process.kill()
            await self.process.wait()
            raise AssertionError(
                f"still running after {CLI_TIMEOUT_S:.0f} s; killed. stdout (last 2,000):\n"
                f"{self.stdout_path.read_text(errors='replace')[-2000:]}\nstderr:\n"
                f"{self.stderr_path.read_text(errors='replace')[-12000:]}"
            ) from None
        return Completed(
            returncode,
            self.stdout_path.read_text(errors="replace"),
            self.stderr_path.read_text(errors="replace"),
        )

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def stop(self) -> None:
        """Kill it if it still runs (test teardown)."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()


class ExchangeProcess:
    """`tradeburst exchange` as its own process, on a port of its own choosing."""

    def __init__(self, directory: Path, key: str, admin_key: str, *options: str) -> None:
        self.key = key
        self.admin_key = admin_key
        self._stderr = directory / "exchange.stderr"
        with self._stderr.open("w") as stderr:
            self.popen = subprocess.Popen(
                cli_args(
                    "exchange", "--port", "0", "--api-key", key, "--admin-key", admin_key,
                    "--clock", OPEN_CLOCK.isoformat(), "--no-liquidity", *options,
                ),
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=cli_env(),
                text=True,
            )  # fmt: skip
        self.url = ""

    async def started(self) -> str:
        """The URL from the first line the exchange prints."""
        assert self.popen.stdout is not None
        async with asyncio.timeout(START_TIMEOUT_S):
            line = await asyncio.to_thread(self.popen.stdout.readline)
        match = LISTENING.search(line)
        assert match, f"first line {line!r}; stderr: {self._stderr.read_text()[-2000:]}"
        self.url = match.group(1)
        return self.url

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.popen.kill()
        self.popen.wait()
        if self.popen.stdout is not None:
            self.popen.stdout.close()


@contextlib.contextmanager
def exchange_process(
    directory: Path, key: str, admin_key: str, *options: str
) -> Iterator[ExchangeProcess]:
    process = ExchangeProcess(directory, key, admin_key, *options)
    try:
        yield process
    finally:
        process.stop()


# -- what the exchange holds ------------------------------------------------------------


async def admin_get(session: aiohttp.ClientSession, url: str, admin_key: str, path: str) -> Any:
    status, body = await Api(session, url, admin_key).get(path)
    assert status == 200, body
    return body


async def placed(session: aiohttp.ClientSession, url: str, admin_key: str) -> list[dict[str, Any]]:
    """Every order any account placed (the exchange leaves out the ones it rejected)."""
    body = await admin_get(session, url, admin_key, "/v1/admin/orders")
    orders: list[dict[str, Any]] = body["orders"]
    return orders


async def admin_stats(session: aiohttp.ClientSession, url: str, admin_key: str) -> dict[str, Any]:
    stats: dict[str, Any] = await admin_get(session, url, admin_key, "/v1/admin/stats")
    return stats


async def order_actions(session: aiohttp.ClientSession, url: str, admin_key: str) -> int:
    """Order actions the exchange took so far; needs an exchange with `COUNTING_FAULTS`."""
    count: int = (await admin_stats(session, url, admin_key))["faults"]["stall"]
    return count


async def wait_for_placed(
    session: aiohttp.ClientSession, url: str, admin_key: str, at_least: int, client: Background
) -> None:
    """Poll until the exchange holds `at_least` orders; fails if `client` exits first."""
    async with asyncio.timeout(CLI_TIMEOUT_S):
        while len(await placed(session, url, admin_key)) < at_least:
            if client.process is not None and client.process.returncode is not None:
                done = await client.wait()
                raise AssertionError(f"exited {done.returncode} first: {done.output[-2000:]}")
            await asyncio.sleep(POLL_S)


def per_user_def(records: Iterable[dict[str, Any]]) -> Counter[str | None]:
    return Counter(record["user_def"] for record in records)


def assert_one_order_per_intent(records: list[dict[str, Any]], user_defs: list[str]) -> None:
    """The exchange holds exactly one order under each of `user_defs`, and no other."""
    assert len(user_defs) == len(set(user_defs))
    assert per_user_def(records) == Counter(dict.fromkeys(user_defs, 1))


def journal_of(path: Path) -> tuple[RunRecord, list[Intent]]:
    """The run and its intents as the journal holds them (the writer must have exited)."""
    snapshot = read_journal(path)
    return snapshot.run, snapshot.intents


# -- a broker that misbehaves -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """One request through a `RewritingProxy`: its method, its path, and its number among
    the requests with that method and path so far (1-based)."""

    method: str
    path: str
    nth: int


Reply = tuple[int, bytes]
"""An HTTP status and a body (JSON, or HTML when it starts with `<`)."""
Before = Callable[[Call], Reply | None]
"""Answers a call in the exchange's place (it never reaches the exchange), or None."""
After = Callable[[Call, int, bytes], Reply | None]
"""Replaces the exchange's answer (status, body) to a call, or None to pass it on."""


class RewritingProxy:
    """A real reverse proxy on 127.0.0.1, port 0, in front of a real exchange: it forwards
    every request and passes the answer back, except where `before` answers in the
    exchange's place or `after` rewrites the exchange's answer. A connection the exchange
    drops is dropped on the client too. It counts and stamps every call it sees."""

    def __init__(self, target: str, *, before: Before | None = None, after: After | None = None):
        self._target = target.rstrip("/")
        self._before = before
        self._after = after
        self.calls: Counter[tuple[str, str]] = Counter()
        self.stamps: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
        """`time.monotonic()` of each call's arrival, per (method, path)."""
        self.rewritten = 0
        """Answers `before` or `after` replaced."""
        self.url = ""
        self._client: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        self._client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def aclose(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._client is not None
        key = (request.method, request.path)
        self.calls[key] += 1
        self.stamps[key].append(monotonic())
        call = Call(request.method, request.path, self.calls[key])
        body = await request.read()
        reply = self._before(call) if self._before else None
        if reply is None:
            headers = {
                name: value
                for name, value in request.headers.items()
                if name.lower() in ("authorization", "content-type")
            }
            url = self._target + request.path_qs
            try:
                async with self._client.request(
                    request.method, url, data=body or None, headers=headers
                ) as upstream:
                    status, payload = upstream.status, await upstream.read()
            except aiohttp.ClientError:  # a lost answer stays a lost answer
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=204)
            reply = self._after(call, status, payload) if self._after else None
            if reply is None:
                return _response(status, payload)
        self.rewritten += 1
        return _response(*reply)


def _response(status: int, body: bytes) -> web.Response:
    html = body.lstrip().startswith(b"<")
    return web.Response(
        status=status, body=body, content_type="text/html" if html else "application/json"
    )


@contextlib.asynccontextmanager
async def rewriting_proxy(
    target: str, *, before: Before | None = None, after: After | None = None
) -> AsyncIterator[RewritingProxy]:
    proxy = RewritingProxy(target, before=before, after=after)
    try:
        await proxy.start()
        yield proxy
    finally:
        await proxy.aclose()


RUN_LINE = re.compile(r"^run: (\w+)$", re.MULTILINE)
"""The line a command prints with its run id when it starts sending."""


async def wait_for_own_orders(
    session: aiohttp.ClientSession, url: str, admin_key: str, client: Background, at_least: int
) -> None:
    """Until the exchange holds `at_least` orders of `client`'s own run (their client order
    ids begin with the run id it prints when it starts sending), not just anyone's."""
    async with asyncio.timeout(CLI_TIMEOUT_S):
        while True:
            found = RUN_LINE.search(client.stdout_path.read_text(errors="replace"))
            if found:
                records = await placed(session, url, admin_key)
                if sum(r["user_def"].startswith(found.group(1)) for r in records) >= at_least:
                    return
            await asyncio.sleep(POLL_S)
