"""The loop's end cannot hang: a blocking call that never returns and a task that swallows
its cancellation are each given the end's bound, named in one line and left behind, and
the run's result still comes back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

import pytest

from tradeburst._bounded_run import DaemonExecutor, run

END_S = 0.2
"""Short on purpose: what is waited for never ends until the test lets it go."""


def wait_for_release(gate: threading.Event) -> None:
    gate.wait()


def test_a_blocking_call_that_never_returns_is_left_behind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A thread still in its call after the run: the result comes back, one line names the
    call, and the thread is a daemon that cannot hold the process's exit."""
    gate = threading.Event()
    threads: list[threading.Thread] = []
    kept: set[asyncio.Future[None]] = set()

    async def main() -> int:
        kept.add(asyncio.ensure_future(asyncio.to_thread(wait_for_release, gate)))
        await asyncio.sleep(0)
        threads.extend(t for t in threading.enumerate() if t.name.startswith("tradeburst-call"))
        return 7

    try:
        with caplog.at_level(logging.WARNING, logger="tradeburst.loop"):
            assert run(main(), end_s=END_S) == 7
    finally:
        gate.set()
    [line] = [r.getMessage() for r in caplog.records if r.name == "tradeburst.loop"]
    assert "1 blocking call(s) still running" in line and "wait_for_release" in line
    assert threads and all(t.daemon for t in threads)


def test_a_task_that_swallows_its_cancellation_is_left_behind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A task that ignores being cancelled: named in one line, the run still ends."""
    gate = asyncio.Event()

    async def stubborn() -> None:
        while not gate.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await gate.wait()

    kept: set[asyncio.Task[None]] = set()

    async def main() -> str:
        kept.add(asyncio.ensure_future(stubborn()))
        await asyncio.sleep(0)
        return "done"

    with caplog.at_level(logging.WARNING, logger="tradeburst.loop"):
        assert run(main(), end_s=END_S) == "done"
    lines = [r.getMessage() for r in caplog.records if r.name == "tradeburst.loop"]
    assert lines == [f"1 task(s) still running {END_S:g} s after they were cancelled "
                     "(test_a_task_that_swallows_its_cancellation_is_left_behind.<locals>."
                     "stubborn); left behind"]  # fmt: skip


def test_a_run_that_ends_cleanly_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """Calls in threads that return, tasks that end when cancelled: no line at all."""

    kept: set[asyncio.Task[None]] = set()

    async def main() -> int:
        kept.add(asyncio.ensure_future(asyncio.sleep(3600)))
        return await asyncio.to_thread(sum, [1, 2, 3])

    with caplog.at_level(logging.WARNING, logger="tradeburst.loop"):
        assert run(main()) == 6
    assert not [r for r in caplog.records if r.name == "tradeburst.loop"]


def test_the_executor_hands_back_results_and_errors() -> None:
    """What the loop's default executor returns and raises reaches the caller."""
    executor = DaemonExecutor(max_threads=2)
    try:
        assert executor.submit(pow, 2, 10).result() == 1024
        assert executor.submit(int, "12", base=16).result() == 18
        with pytest.raises(ValueError, match="invalid literal"):
            executor.submit(int, "x").result()
    finally:
        assert executor.end(timeout_s=30) == []
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(pow, 2, 2)
