"""The Fubon adapter against the SDK's run-time behaviour, as the stand-in reproduces it in
the broker's worker process: calls that hold the GIL and never return, the closed
connection and URL-error answers, the logged-out reconnect, a panic, a worker killed with
`kill -9`, event 304, and the SDK's log with the password in base64. What counts is what
the rehearsal exchange ends up holding (its admin API), and which files hold a secret."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import stat
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from test_fubon_broker import STANDIN, buy
from tradeburst.brokers import AnswerLost, BrokerFatal, NotSent
from tradeburst.brokers.fubon import Deadlines, FubonBroker, FubonCredentials
from tradeburst.brokers.fubon._folder import PREFIX
from tradeburst.engine import FireOptions, fire
from tradeburst.exchange import Exchange
from tradeburst.model import OrderStatus

from _engine_support import OPEN_CLOCK, QUICK_AGE_S, per_user_def, placed, write_orders
from _support import ADMIN, KEY_A, StartExchange

FAST = Deadlines(login_s=60, order_s=2, query_s=3)


@pytest.fixture
def credentials(tmp_path: Path) -> FubonCredentials:
    cert = tmp_path / "cert.pfx"
    cert.write_bytes(b"not a real certificate")
    return FubonCredentials(personal_id="A123456789", api_key=KEY_A, cert_path=cert)


@pytest.fixture
async def market(start_exchange: StartExchange) -> Exchange:
    return await start_exchange(clock_start=OPEN_CLOCK, always_open=False)


def broker_with(
    exchange: Exchange, credentials: FubonCredentials, tmp_path: Path, *faults: str,
    **options: Any,
) -> FubonBroker:  # fmt: skip
    once = tmp_path / "once"
    once.mkdir(exist_ok=True)
    sdk_options = {"exchange": exchange.url, "faults": list(faults), "once_dir": str(once)}
    sdk_options.update(options.pop("standin_options", {}))
    options.setdefault("deadlines", FAST)
    options.setdefault("reconnect_backoff_s", (0.05, 0.2))
    return FubonBroker(credentials, sdk_factory=STANDIN, sdk_options=sdk_options, **options)


def files_holding(secret: str, *folders: Path) -> list[Path]:
    """Files under `folders` holding `secret` as written or base64-encoded."""
    marks = [secret.encode(), base64.b64encode(secret.encode())]
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                if any(m in data for m in marks) or secret.encode() in _b64_lines(data):
                    found.append(path)
    return found


def _b64_lines(data: bytes) -> bytes:
    decoded = []
    for line in data.splitlines():
        try:
            decoded.append(base64.b64decode(line, validate=True))
        except ValueError:
            continue
    return b"\n".join(decoded)


def worker_folders() -> set[Path]:
    """This process's SDK worker folders (other test runs may share the temp dir)."""
    ours = str(os.getpid())
    return {
        folder
        for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*")
        if _owner(folder) == ours
    }


def _owner(folder: Path) -> str | None:
    try:
        return (folder / "owner.pid").read_text(encoding="ascii")
    except OSError:
        return None


async def test_a_login_that_holds_the_gil_forever_ends_at_its_deadline(
    market: Exchange, credentials: FubonCredentials, tmp_path: Path
) -> None:
    """The worker is frozen in a GIL-holding login: the engine's loop is not; NotSent."""
    broker = broker_with(market, credentials, tmp_path, "apikey_login:1:hang-gil",
                         deadlines=Deadlines(login_s=3))  # fmt: skip
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    ticker = asyncio.create_task(tick())
    with pytest.raises(NotSent, match=r"login: no answer .* in 3 s"):
        await broker.connect()
    ticker.cancel()
    assert ticks > 20, "the loop ran while the SDK held its GIL"


async def test_an_order_call_that_never_returns_is_lost_and_the_worker_replaced(
    market: Exchange, credentials: FubonCredentials, tmp_path: Path,
    session: aiohttp.ClientSession,
) -> None:  # fmt: skip
    """A hung place_order (sent): AnswerLost at the deadline, a new worker, one order."""
    async with broker_with(market, credentials, tmp_path, "place_order:1:hang") as broker:
        first = broker.worker_pid
        with pytest.raises(AnswerLost, match="no answer in 2 s"):
            await broker.place(buy("hung1"))
        found = await broker.order_results("hung1")
        assert broker.reconnects == 1 and broker.worker_pid != first
    assert [s.status for s in found] == [OrderStatus.ACCEPTED]
    assert per_user_def(await placed(session, market.url, ADMIN)) == Counter({"hung1": 1})


@pytest.mark.parametrize("fault", ["url", "logout", "closed-before"])
async def test_a_call_refused_before_sending_is_not_sent_and_logs_in_again(
    market: Exchange, credentials: FubonCredentials, tmp_path: Path, fault: str,
    session: aiohttp.ClientSession,
) -> None:  # fmt: skip
    """URL error and Not Login Error: NotSent; the closed connection is AnswerLost. Either
    way a new worker logs in and the next order is placed."""
    expected = AnswerLost if fault == "closed-before" else NotSent
    async with broker_with(market, credentials, tmp_path, f"place_order:1:{fault}") as broker:
        with pytest.raises(expected):
            await broker.place(buy("ref1"))
        state = await asyncio.wait_for(broker.place(buy("ref2")), 30)
    assert state.status is OrderStatus.ACCEPTED
    assert per_user_def(await placed(session, market.url, ADMIN)) == Counter({"ref2": 1})


async def test_a_query_that_never_returns_is_not_sent(
    market: Exchange, credentials: FubonCredentials, tmp_path: Path
) -> None:
    """A hung get_order_results (it holds the GIL): NotSent, never AnswerLost."""
    async with broker_with(market, credentials, tmp_path,
                           "get_order_results:1:hang-gil") as broker:  # fmt: skip
        with pytest.raises(NotSent, match="no answer in 3 s"):
            await broker.order_results()
        assert await broker.order_results() == []


async def test_a_worker_that_dies_mid_call_is_an_answer_lost(
    market: Exchange, credentials: FubonCredentials, tmp_path: Path
) -> None:
    """The process dies as by a segfault after sending: AnswerLost, and a new worker."""
    async with broker_with(market, credentials, tmp_path, "place_order:1:exit") as broker:
        with pytest.raises(AnswerLost, match="worker"):
            await broker.place(buy("seg1"))
        assert (await broker.place(buy("seg2"))).status is OrderStatus.ACCEPTED
        assert broker.reconnects == 1


@pytest.mark.parametrize("fault", ["304", "304-late"])
async def test_event_304_stops_sending_whichever_comes_first(
    market: Exchange, credentials: FubonCredentials, tmp_path: Path, fault: str,
    session: aiohttp.ClientSession,
) -> None:  # fmt: skip
    """A forced logout, its event before or after the `Not Login Error` answer: no new
    login, every later call is BrokerFatal naming event 304, and nothing is placed."""
    async with broker_with(market, credentials, tmp_path, f"place_order:1:{fault}") as broker:
        with pytest.raises(NotSent, match="Not Login"):
            await broker.place(buy("fl1"))
        with pytest.raises(BrokerFatal, match="304"):
            await broker.place(buy("fl2"))
        with pytest.raises(BrokerFatal, match="304"):
            await broker.order_results()
        assert broker.reconnects == 0
    assert await placed(session, market.url, ADMIN) == []


async def test_kill_9_of_the_worker_mid_burst_leaves_one_order_per_intent(
    start_exchange: StartExchange, credentials: FubonCredentials, tmp_path: Path,
    session: aiohttp.ClientSession,
) -> None:  # fmt: skip
    """SIGKILL to the SDK worker while 600 orders go out, and a drop mid-batch: the run
    replaces the worker, reconciles by user_def, and each intent is placed exactly once."""
    exchange = await start_exchange(profile="fubon", clock_start=OPEN_CLOCK, always_open=False)
    source = write_orders(tmp_path / "orders.csv", 600)
    broker = broker_with(exchange, credentials, tmp_path, "batch_place_order:4:closed")
    async with broker:
        burst = asyncio.create_task(
            fire(
                source,
                broker,
                FireOptions(
                    journal=tmp_path / "run.sqlite", grace_s=0.2, max_request_age_s=QUICK_AGE_S
                ),
            )
        )
        while len(await placed(session, exchange.url, ADMIN)) < 150 or broker.reconnects < 1:
            assert not burst.done()
            await asyncio.sleep(0.02)
        pid = broker.worker_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert not burst.done()
        result = await asyncio.wait_for(burst, 120)
        assert broker.reconnects >= 2
    records = await placed(session, exchange.url, ADMIN)
    assert per_user_def(records) == Counter({i.user_def: 1 for i in result.intents})
    assert result.summary.orders.accepted == 600


async def test_no_file_left_holds_the_password_and_kept_logs_are_private(
    market: Exchange, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK's log (password in base64) is deleted with the worker's folder; asked to
    keep it, it is moved to a 0700 folder, and nowhere else holds the password."""
    secret = KEY_A
    cert = tmp_path / "cert.pfx"
    cert.write_bytes(b"x")
    credentials = FubonCredentials(personal_id="A123456789", api_key=secret, cert_path=None)
    monkeypatch.chdir(tmp_path)
    before = worker_folders()
    async with broker_with(market, credentials, tmp_path, "place_order:1:exit") as broker:
        with pytest.raises(AnswerLost):
            await broker.place(buy("sec1"))
        await broker.place(buy("sec2"))
        during = worker_folders() - before
        assert during and all(stat.S_IMODE(f.stat().st_mode) == 0o700 for f in during)
        assert files_holding(secret, *during), "the stand-in writes its log as the SDK does"
    assert worker_folders() - before == set()  # the temp dir keeps nothing of ours
    assert files_holding(secret, tmp_path) == []  # nor the cwd, the journal's folder
    keep = tmp_path / "sdk-log"
    async with broker_with(market, credentials, tmp_path, keep_sdk_log=keep) as broker:
        await broker.place(buy("sec3"))
    assert stat.S_IMODE(keep.stat().st_mode) == 0o700
    assert broker.kept_sdk_log and all(p.is_relative_to(keep) for p in broker.kept_sdk_log)
    assert {p.parent for p in files_holding(secret, tmp_path)} <= {
        p.parent for p in broker.kept_sdk_log
    }
    assert files_holding(secret, tmp_path)


async def test_an_idle_worker_leaves_the_engine_loop_free(
    market: Exchange, credentials: FubonCredentials, tmp_path: Path
) -> None:
    """Queries hold the worker's GIL; the engine's loop keeps its pace meanwhile."""
    slow = {"gil_ms": 400}
    async with broker_with(market, credentials, tmp_path, standin_options=slow) as broker:
        started = time.monotonic()
        lags: list[float] = []

        async def measure() -> None:
            for _ in range(20):
                t = time.monotonic()
                await asyncio.sleep(0.01)
                lags.append(time.monotonic() - t)

        await asyncio.gather(broker.order_results(), measure())
        assert time.monotonic() - started >= 0.4
    assert max(lags) < 0.3, "the loop never waited on the SDK's GIL"
