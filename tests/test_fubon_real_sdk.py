"""The real `fubon_neo` 2.3.1 binary, driven offline: `tradeburst fire --broker fubon` against
a WebSocket server on 127.0.0.1 that accepts and never answers, or closes at once, with a
certificate made here (`openssl req -x509` + `openssl pkcs12 -export`). The login must end
by itself with a message naming it, Ctrl-C must end it at once, and no file written
during the run may hold the password, as written or in base64."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import WSMsgType, web

from test_fubon_runtime import files_holding, worker_folders

from _engine_support import Completed, cli_args, cli_env, write_orders

pytest.importorskip("fubon_neo")
pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

PASSWORD = "pw-real-sdk-9f2c"
PERSONAL_ID = "A123456789"
INTERRUPTED_WITHIN_S = 15.0
"""Ctrl-C ends a hung login at once: well inside the login's 30 s deadline, with room for
a starved machine."""


@pytest.fixture
def pfx(tmp_path: Path) -> Path:
    key, pem, out = tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "cert.pfx"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(pem), "-days", "2", "-subj", f"/CN={PERSONAL_ID}"],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(["openssl", "pkcs12", "-export", "-inkey", str(key), "-in", str(pem),
                    "-out", str(out), "-passout", f"pass:{PERSONAL_ID}"],
                   check=True, capture_output=True)  # fmt: skip
    return out


@dataclass
class Loopback:
    url: str
    heard: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the SDK's first message (its login) arrives."""


async def _server(mode: str) -> AsyncIterator[Loopback]:
    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if mode == "close":
            await ws.close()
            return ws
        async for message in ws:  # read, never answer
            loopback.heard.set()
            if message.type is WSMsgType.ERROR:
                break
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", socket)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    loopback = Loopback(f"ws://127.0.0.1:{port}/TASP/XCPXWS")
    try:
        yield loopback
    finally:
        await runner.cleanup()


@pytest.fixture
async def silent() -> AsyncIterator[Loopback]:
    async for loopback in _server("silent"):
        yield loopback


@pytest.fixture
async def closing() -> AsyncIterator[Loopback]:
    async for loopback in _server("close"):
        yield loopback


async def fire_at(server: Loopback, pfx: Path, tmp_path: Path, *, interrupt: bool = False,
                  timeout_s: float = 90) -> Completed:  # fmt: skip
    env = cli_env()
    env.pop("TRADEBURST_FUBON_SDK", None)
    env.update({"TRADEBURST_FUBON_ID": PERSONAL_ID, "TRADEBURST_FUBON_PASSWORD": PASSWORD,
                "TRADEBURST_FUBON_CERT": str(pfx)})  # fmt: skip
    source = write_orders(tmp_path / "orders.csv", 3)
    process = await asyncio.create_subprocess_exec(
        *cli_args("fire", str(source), "--broker", "fubon", "--fubon-url", server.url,
                  "--journal", str(tmp_path / "run.sqlite")),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    if interrupt:  # once the login is under way, however long the start took
        await asyncio.wait_for(server.heard.wait(), 60.0)
        await asyncio.sleep(1.0)
        assert process.returncode is None, "still logging in"
        process.send_signal(signal.SIGINT)
        timeout_s = INTERRUPTED_WITHIN_S
    try:
        async with asyncio.timeout(timeout_s):
            stdout, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Completed(process.returncode, stdout.decode(), stderr.decode())


def assert_no_secret_left(tmp_path: Path, before: set[Path]) -> None:
    assert worker_folders() - before == set()
    assert files_holding(PASSWORD, tmp_path) == []


async def test_a_login_the_server_never_answers_ends_by_itself(
    silent: Loopback, pfx: Path, tmp_path: Path
) -> None:
    """The real SDK's login never returns: the run exits 2 at the login deadline, naming
    the login and the deadline, with nothing sent, no traceback and no secret on disk."""
    before = worker_folders()
    run = await fire_at(silent, pfx, tmp_path, timeout_s=75)
    assert run.returncode in (2, 4), run.output
    assert "login" in run.stderr and "30 s" in run.stderr
    assert "Traceback" not in run.output and PASSWORD not in run.output
    assert not (tmp_path / "run.sqlite").exists()
    assert_no_secret_left(tmp_path, before)


async def test_a_server_that_closes_at_once_is_a_login_not_sent(
    closing: Loopback, pfx: Path, tmp_path: Path
) -> None:
    """The SDK answers "Sending after closing is not allowed": exit 2, nothing sent."""
    before = worker_folders()
    run = await fire_at(closing, pfx, tmp_path, timeout_s=30)
    assert run.returncode == 2, run.output
    assert "login" in run.stderr and "nothing sent" in run.stderr
    assert "Traceback" not in run.output
    assert_no_secret_left(tmp_path, before)


async def test_ctrl_c_during_a_hung_login_exits_130_at_once(
    silent: Loopback, pfx: Path, tmp_path: Path
) -> None:
    """SIGINT while the real SDK's login hangs: exit 130 well before the login's 30 s
    deadline, the worker killed."""
    before = worker_folders()
    run = await fire_at(silent, pfx, tmp_path, interrupt=True)
    assert run.returncode == 130, run.output
    assert "nothing was sent" in run.output and "Traceback" not in run.output
    assert_no_secret_left(tmp_path, before)
