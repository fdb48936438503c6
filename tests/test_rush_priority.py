"""A rush's last moments at raised priority: the loop's thread is raised (SCHED_FIFO, or the
lowest nice value it may take) while the opening goes out and given back after, by the rush
and, past its cap, by a watchdog; other threads are left alone; where raising is not
permitted (no privilege, RLIMIT_NICE 0, or macOS and Windows as imitated), one line says
what was tried and the rush goes on. The thread's policy and nice value are read back from
the kernel; nothing here asserts how fast anything was."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tradeburst._platform import RaisedThread, raise_thread, restore_thread
from tradeburst.brokers import SimBroker
from tradeburst.engine import FIFO_PRIORITY, FireOptions, exit_code, rush
from tradeburst.engine._priority import SWITCH_VARIABLE, RaisedWindow

from _engine_support import QUICK_AGE_S, write_orders
from _rush_support import TARGET, clock_before
from _support import KEY_A, StartExchange

IMITATION = Path(__file__).parent / "imitation"
HANG_S = 30.0
"""Only catches a hang: the watchdog's cap is a fraction of a second."""

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads Linux thread policies")


@pytest.fixture(autouse=True)
def raising_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite keeps rushes at normal priority (conftest); these tests are about the raise."""
    monkeypatch.delenv(SWITCH_VARIABLE, raising=False)


def priority_of(thread_id: int) -> tuple[int, int, int]:
    """The kernel's view of a thread: policy, real-time priority, nice value."""
    return (
        os.sched_getscheduler(thread_id),
        os.sched_getparam(thread_id).sched_priority,
        os.getpriority(os.PRIO_PROCESS, thread_id),
    )


def raised_or_skip() -> RaisedThread:
    got = raise_thread(FIFO_PRIORITY)
    if isinstance(got, str):
        pytest.skip(f"this machine does not permit it: {got}")
    return got


def is_raised(before: tuple[int, int, int], now: tuple[int, int, int]) -> bool:
    return now[0] == os.SCHED_FIFO or now[2] < before[2]


def test_only_the_calling_thread_is_raised_and_restore_gives_it_back() -> None:
    me = threading.get_native_id()
    other_id: list[int] = []
    other_may_end = threading.Event()
    started = threading.Event()

    def other() -> None:
        other_id.append(threading.get_native_id())
        started.set()
        other_may_end.wait(HANG_S)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert started.wait(HANG_S)
        before, other_before = priority_of(me), priority_of(other_id[0])
        raised = raised_or_skip()
        try:
            assert raised.thread_id == me
            assert is_raised(before, priority_of(me))
            assert priority_of(other_id[0]) == other_before
        finally:
            restore_thread(raised)
        assert priority_of(me) == before
    finally:
        other_may_end.set()
        thread.join()


def test_the_watchdog_gives_the_priority_back_past_its_cap() -> None:
    me = threading.get_native_id()
    before = priority_of(me)
    window = RaisedWindow(cap_s=0.05)
    window.enter()
    if not window.raised:
        pytest.skip(f"this machine does not permit it: {window.outcome}")
    try:
        deadline = time.monotonic() + HANG_S
        while priority_of(me) != before and time.monotonic() < deadline:
            time.sleep(0.01)  # a sleep lets the watchdog run: this thread may be real-time
        assert priority_of(me) == before
        assert not window.raised
    finally:
        window.leave()
    window.leave()  # again: harmless
    assert priority_of(me) == before


class WatchedBroker(SimBroker):
    """The real client, noting the loop thread's priority as each order request goes:
    written pre-built at the target, or sent through the pool."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(url, key)
        self.seen: list[tuple[int, int, int]] = []

    def write_opening(self, index: int) -> bool:
        went = super().write_opening(index)
        if went:
            self.seen.append(priority_of(threading.get_native_id()))
        return went

    async def _request(
        self, method: str, path: str, body: bytes | None = None, *, raw: bool = False
    ) -> Any:
        if method == "POST":
            self.seen.append(priority_of(threading.get_native_id()))
        return await super()._request(method, path, body, raw=raw)


async def test_a_rush_sends_its_opening_raised_and_gives_the_priority_back(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    probe = raised_or_skip()  # this machine permits it; the rush must then use it
    restore_thread(probe)
    me = threading.get_native_id()
    before = priority_of(me)
    exchange = await start_exchange(profile="fubon", clock=clock_before())
    source = write_orders(tmp_path / "orders.csv", 30)
    options = FireOptions(max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite")
    async with WatchedBroker(exchange.url, KEY_A) as broker:
        result = await rush(source, broker, options, TARGET)
    assert exit_code(result) == 0
    assert result.summary.orders.accepted == 30
    assert result.dispatch is not None
    opening = len(result.dispatch.opening_sends_ns)
    assert opening >= 1
    assert all(is_raised(before, seen) for seen in broker.seen[:opening]), broker.seen
    assert not any(is_raised(before, seen) for seen in broker.seen[opening:]), broker.seen
    assert priority_of(me) == before


def test_the_switch_keeps_a_rush_at_normal_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    """`TRADEBURST_RUSH_PRIORITY=normal`: nothing is raised, and the outcome says why."""
    raised_or_skip_and_restore()
    monkeypatch.setenv(SWITCH_VARIABLE, "normal")
    me = threading.get_native_id()
    before = priority_of(me)
    window = RaisedWindow(cap_s=HANG_S)
    window.enter()
    try:
        assert not window.raised and priority_of(me) == before
        assert window.outcome == f"kept at normal priority by {SWITCH_VARIABLE}=normal"
    finally:
        window.leave()


def raised_or_skip_and_restore() -> None:
    restore_thread(raised_or_skip())


REFUSED_CHILD = """
import logging, os, resource, sys
from tradeburst.engine._priority import RaisedWindow
logging.basicConfig(stream=sys.stdout, format="%(message)s")
resource.setrlimit(resource.RLIMIT_NICE, (0, 0))
resource.setrlimit(resource.RLIMIT_RTPRIO, (0, 0))
if os.geteuid() == 0:  # no privilege left: the limits are all there is
    os.setgid(65534)
    os.setuid(65534)
window = RaisedWindow(1.0)
window.enter()
window.enter()
window.leave()
print("raised" if window.raised else "normal", "priority")
"""


def child(script: str, **env: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, **env},
        capture_output=True, text=True, timeout=HANG_S, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    return run.stdout


def test_where_raising_is_not_permitted_one_line_says_what_was_tried() -> None:
    lines = child(REFUSED_CHILD).splitlines()
    assert len(lines) == 2, lines
    refusal, outcome = lines
    assert "raised priority not permitted" in refusal
    assert "SCHED_FIFO refused" in refusal and "RLIMIT_NICE" in refusal
    assert "normal priority" in refusal
    assert outcome == "normal priority"


@pytest.mark.parametrize("platform", ["macos", "windows"])
def test_on_an_imitated_platform_one_line_says_it_is_not_available(platform: str) -> None:
    script = REFUSED_CHILD.replace("if os.geteuid() == 0:", "if False:")
    pythonpath = os.pathsep.join(filter(None, [str(IMITATION), os.environ.get("PYTHONPATH")]))
    lines = child(script, TRADEBURST_IMITATE_PLATFORM=platform, PYTHONPATH=pythonpath)
    assert lines.splitlines() == [
        f"raised priority for one thread is not available on {platform}; "
        "the rush's last moments run at normal priority",
        "normal priority",
    ]
