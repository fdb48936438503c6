"""`asyncio.run` with an end that cannot hang. Python 3.11's `asyncio.run` ends by waiting,
without limit, for the tasks still running to finish after their cancellation, for the
async generators to close, and for every thread of the default executor (a `getaddrinfo`
or a file read that never returns); the interpreter's exit then waits for those threads
once more. `run` gives each of those steps `END_S`, names what is still running in one
warning of the `tradeburst.loop` logger and leaves it behind: the default executor's
threads here are daemons, so none holds the process open. Ctrl-C is as in `asyncio.run`:
the first cancels the main task (which then ends as `KeyboardInterrupt`), a second raises
`KeyboardInterrupt` at once; and a main task cancelled so (or by `cancel_within`) that has
not ended `END_S` later is left the same way, with a line, as `KeyboardInterrupt`."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any, Final, TypeVar

__all__ = ["END_S", "DaemonExecutor", "cancel_within", "run"]

log = logging.getLogger("tradeburst.loop")
T = TypeVar("T")

END_S: Final = 10.0
"""How long each step of the loop's end may take before what is left is left behind."""
MAX_THREADS: Final = min(32, (os.cpu_count() or 1) + 4)
"""As many threads as `ThreadPoolExecutor` starts by default."""

_Work = tuple[concurrent.futures.Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """The loop's default executor: up to `max_threads` daemon threads, started as work
    comes, so a call that never returns never holds the process's exit. `end` waits a
    bounded time for the calls still running and names those it left. A
    `ThreadPoolExecutor` only because the loop takes no other; none of its own threads
    (which the interpreter's exit joins) is ever started."""

    def __init__(self, max_threads: int = MAX_THREADS) -> None:
        super().__init__(max_threads)
        self._max_threads = max_threads
        self._work: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._daemons: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._running: dict[int, str] = {}
        """What each thread runs now, by thread id: the names `end` gives."""
        self._shut = False

    def submit(
        self, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        with self._lock:
            if self._shut:
                raise RuntimeError("cannot schedule new calls after shutdown")
            future: concurrent.futures.Future[T] = concurrent.futures.Future()
            self._work.put((future, fn, args, kwargs))
            if not self._idle.acquire(blocking=False) and len(self._daemons) < self._max_threads:
                thread = threading.Thread(
                    target=self._serve, name=f"tradeburst-call-{len(self._daemons)}", daemon=True
                )
                thread.start()
                self._daemons.append(thread)
            return future

    def _serve(self) -> None:
        while (work := self._work.get()) is not None:
            future, call, args, kwargs = work
            if future.set_running_or_notify_cancel():
                self._running[threading.get_ident()] = _name_of(call, args)
                try:
                    future.set_result(call(*args, **kwargs))
                except BaseException as exc:  # handed to whoever awaits it
                    future.set_exception(exc)
                finally:
                    del self._running[threading.get_ident()]
            del work, future, call, args, kwargs  # not kept alive while idle
            self._idle.release()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shut = True
            threads = list(self._daemons)
        if cancel_futures:
            while True:
                try:
                    work = self._work.get_nowait()
                except queue.Empty:
                    break
                if work is not None:
                    work[0].cancel()
        for _ in threads:
            self._work.put(None)
        if wait:
            for thread in threads:
                thread.join()

    def end(self, timeout_s: float) -> list[str]:
        """Shut down, waiting at most `timeout_s` for the calls still running: the names of
        those that were still running then."""
        self.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + timeout_s
        for thread in list(self._daemons):
            thread.join(max(0.0, deadline - time.monotonic()))
        return sorted(self._running.values())


def _name_of(call: Callable[..., Any], args: tuple[Any, ...]) -> str:
    """The function a call runs: `asyncio.to_thread` submits `partial(Context.run, fn)`."""
    while True:
        if isinstance(call, functools.partial):
            partial: functools.partial[Any] = call
            call, args = partial.func, partial.args + args
        elif getattr(call, "__qualname__", "") == "Context.run" and args and callable(args[0]):
            call, args = args[0], args[1:]
        else:
            return str(getattr(call, "__qualname__", None) or call)


def cancel_within(task: asyncio.Task[Any], end_s: float = END_S) -> None:
    """Cancel a run's main `task`; if it has not ended `end_s` later (its cleanup waits on
    something that does not come), say so in one line and end the run as a second Ctrl-C
    does: `KeyboardInterrupt` out of `run`."""
    task.cancel()

    def overdue() -> None:
        if not task.done():
            log.warning("still stopping %g s after being told to stop; exiting without "
                        "waiting", end_s)  # fmt: skip
            raise KeyboardInterrupt

    task.get_loop().call_later(end_s, overdue)


def run(
    main: Coroutine[Any, Any, T],
    *,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
    end_s: float = END_S,
) -> T:
    """Run `main` to its end on a new loop (`loop_factory`'s), then close the loop in at
    most about three times `end_s`."""
    loop = loop_factory()
    executor = DaemonExecutor()
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        return _until_done(loop, main)
    finally:
        try:
            _end(loop, executor, end_s)
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _until_done(loop: asyncio.AbstractEventLoop, main: Coroutine[Any, Any, T]) -> T:
    """`main` as `asyncio.Runner.run` runs it, with its Ctrl-C."""
    task = loop.create_task(main)
    interrupts = 0

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1 and not task.done():
            cancel_within(task)
            loop.call_soon_threadsafe(lambda: None)  # wake the loop's wait
            return
        raise KeyboardInterrupt

    handler = None
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ):
        handler = on_sigint
        signal.signal(signal.SIGINT, handler)
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        if interrupts and task.uncancel() == 0:
            raise KeyboardInterrupt from None
        raise
    finally:
        if handler is not None and signal.getsignal(signal.SIGINT) is handler:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _end(loop: asyncio.AbstractEventLoop, executor: DaemonExecutor, end_s: float) -> None:
    left = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in left:
        task.cancel()
    if left:
        done, pending = loop.run_until_complete(asyncio.wait(left, timeout=end_s))
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                loop.call_exception_handler({
                    "message": "unhandled exception while the run ended",
                    "exception": task.exception(),
                    "task": task,
                })  # fmt: skip
        for task in pending:  # said once below, not again as each is destroyed
            task._log_destroy_pending = False  # type: ignore[attr-defined]
        if pending:
            names = ", ".join(sorted(t.get_coro().__qualname__ for t in pending))  # type: ignore[union-attr]
            log.warning("%d task(s) still running %g s after they were cancelled (%s); "
                        "left behind", len(pending), end_s, names)  # fmt: skip
    try:
        loop.run_until_complete(asyncio.wait_for(loop.shutdown_asyncgens(), end_s))
    except TimeoutError:
        log.warning("async generators still closing after %g s; left behind", end_s)
    busy = executor.end(end_s)
    if busy:
        log.warning("%d blocking call(s) still running in threads %g s after the run ended "
                    "(%s); left behind", len(busy), end_s, ", ".join(busy))  # fmt: skip
