"""The Fubon login that outlives its SDK: the current SDK worker, the deadline of every
call, and the worker's replacement.

A call past its deadline, a worker that dies, event 300, or an answer that says the
connection is gone or logged out (`_mapping.ANSWERS`, `reconnect`) all end the same way:
the worker is killed and a new one started (new SDK, log in again, callbacks again, with
back-off), and then the broker settles from today's orders whatever waited. Calls meanwhile
wait for the new worker as long as a login may take (nothing of theirs has left yet, and a
new process with a new SDK takes seconds to start on a busy machine), then give up with
nothing sent.
Event 304 (forced logout) stops everything: each later call is `BrokerFatal`. The SDK
may answer a call `Not Login Error` before it hands over the 304 that explains it (the
answer and the event reach Python on different threads), so after a logged-out answer the
old worker is kept listening for `LOGGED_OUT_LISTEN_S` (the event ends the wait at once)
before it is killed and a new one logs in. Logging in again first and stopping on a later
304 would not do: the event belongs to the old session and dies with its worker, and a new
login may succeed (a session pushed out by another login, a key list changed but ours
kept), and would then send after the broker told us to stop.

One semaphore of `connections` bounds the calls in flight across replacements, so a
worker's hung calls count against the limit until the worker is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from tradeburst.brokers._errors import AnswerLost, BrokerError, BrokerFatal, NotSent
from tradeburst.brokers.fubon._deadlines import ORDER_METHODS, Deadlines
from tradeburst.brokers.fubon._mapping import classify
from tradeburst.brokers.fubon._process import WorkerGone, WorkerProcess
from tradeburst.brokers.fubon._replies import login_error
from tradeburst.brokers.fubon._wire import Call, Event, Login, Reply, ToParent

__all__ = ["FubonSession"]

log = logging.getLogger(__name__)

LOGOUT_S = 5.0
LOGGED_OUT_LISTEN_S = 1.0
"""How long a worker that answered `Not Login Error` is kept to hear event 304. Both come
over one socket, so the event trails only by the SDK's hand-off between its threads (an
inference: Fubon's server cannot be reached from here to watch the two)."""


class FubonSession:
    def __init__(
        self,
        login: Login,
        *,
        deadlines: Deadlines,
        backoff_s: tuple[float, float],
        keep_log: Path | None,
        on_push: Callable[[ToParent], None],
    ) -> None:
        self._login = login
        self.deadlines = deadlines
        self._backoff_s = backoff_s
        self._keep_log = keep_log
        self._on_push = on_push
        self._on_replaced: Callable[[], Awaitable[None]] | None = None
        self._slots = asyncio.Semaphore(max(1, login.connections))
        self._ready = asyncio.Event()
        self._worker: WorkerProcess | None = None
        self._replacing: asyncio.Task[None] | None = None
        self._fatal: BrokerFatal | None = None
        self._fatal_seen = asyncio.Event()
        self.account_no: str | None = login.account
        self.closed = False
        self.opened = False
        self.reconnects = 0
        self.kept: list[Path] = []
        """Files moved to `--fubon-keep-sdk-log`."""

    @property
    def worker_pid(self) -> int | None:
        return None if self._worker is None else self._worker.pid

    async def open(self, on_replaced: Callable[[], Awaitable[None]]) -> None:
        """Start the first worker and log in; NotSent or BrokerFatal if that fails."""
        self._on_replaced = on_replaced
        self._worker = await self._start()
        self.opened = True
        self._ready.set()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        task, self._replacing = self._replacing, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        worker, self._worker = self._worker, None
        if worker is not None:
            await worker.finish(LOGOUT_S)
            self.kept += worker.kept

    # -- calls --------------------------------------------------------------------------

    async def call(self, call: Call) -> Reply:
        """`call` on the current worker within its deadline. A reply whose message says
        the connection is gone also starts a replacement; the caller reads the reply."""
        deadline_s = self.deadlines.of(call.method)
        placing = call.method in ORDER_METHODS
        async with self._slots:
            worker = await self._current()
            try:
                async with asyncio.timeout(deadline_s):
                    reply = await worker.call(call)
            except TimeoutError:
                self._replace(worker, f"{call.method}: no answer in {deadline_s:g} s")
                which = "order_s" if placing else "query_s"
                text = f"{call.method}: no answer in {deadline_s:g} s (Deadlines.{which})"
                raise AnswerLost(text) if placing else NotSent(text) from None
            except WorkerGone as exc:
                self._replace(worker, str(exc))
                text = f"{call.method}: {exc}"
                raise AnswerLost(text) if placing else NotSent(text) from None
        if not reply.ok and reply.message:
            answer = classify(reply.message)
            if answer.reconnect:
                listen_s = LOGGED_OUT_LISTEN_S if answer.logged_out else 0.0
                self._replace(worker, f"{call.method}: {reply.message}", listen_s=listen_s)
        return reply

    async def _current(self) -> WorkerProcess:
        if self.closed:
            raise NotSent("the Fubon broker is closed")
        if not self.opened:
            raise RuntimeError("FubonBroker.connect() first")
        if not self._ready.is_set():
            try:
                async with asyncio.timeout(self.deadlines.login_s):
                    await self._ready.wait()
            except TimeoutError:
                raise NotSent("Fubon is logging in again; nothing sent") from None
        if self._fatal is not None:
            raise self._fatal
        if self._worker is None or self._worker.gone:
            raise NotSent("Fubon is not connected; nothing sent")
        return self._worker

    # -- starting a worker --------------------------------------------------------------

    async def _start(self) -> WorkerProcess:
        loop = asyncio.get_running_loop()
        worker = WorkerProcess(loop, self._pushed, self._exited, self._keep_log)
        deadline_s = self.deadlines.login_s
        login = self._login
        if self.account_no is not None:
            login = _with_account(login, self.account_no)
        try:
            async with asyncio.timeout(deadline_s):
                await asyncio.to_thread(worker.start)
                reply = await worker.login(login)
        except TimeoutError:
            await self._discard(worker)
            raise NotSent(
                f"login: no answer from {login.url} in {deadline_s:g} s "
                "(Deadlines.login_s); nothing sent"
            ) from None
        except WorkerGone as exc:
            await self._discard(worker)
            raise NotSent(f"login: {exc}; nothing sent") from None
        except BaseException:
            await self._discard(worker)
            raise
        if not reply.ok:
            await self._discard(worker)
            raise login_error(reply)
        self.account_no = reply.accounts[0]
        return worker

    async def _discard(self, worker: WorkerProcess) -> None:
        worker.kill()
        await worker.dispose()
        self.kept += worker.kept

    # -- from the worker ----------------------------------------------------------------

    def _pushed(self, worker: WorkerProcess, message: ToParent) -> None:
        if isinstance(message, Event):
            self._event(worker, message)
        self._on_push(message)

    def _event(self, worker: WorkerProcess, event: Event) -> None:
        if event.code == "300":
            log.warning("Fubon: disconnected (event 300: %s); logging in again", event.content)
            self._replace(worker, "event 300")
        elif event.code == "304":
            self._fatal = BrokerFatal(
                "Fubon logged us out (event 304: the API key was changed or revoked); "
                "nothing more is sent"
            )
            self._fatal_seen.set()
            log.error("%s", self._fatal)
        elif event.code == "unreadable":
            log.warning("Fubon: %s", event.content)
        else:
            log.info("Fubon event %s: %s", event.code, event.content)

    def _exited(self, worker: WorkerProcess) -> None:
        self._replace(worker, "the SDK worker ended")

    def _replace(self, worker: WorkerProcess, reason: str, *, listen_s: float = 0.0) -> None:
        """Retire `worker` (killed now, or after `listen_s` of hearing its events) and
        start logging in a new one; calls wait for it meanwhile."""
        if worker is not self._worker or self.closed or self._fatal is not None:
            return
        log.warning("Fubon: replacing the SDK worker (%s)", reason)
        self._worker = None
        self._ready.clear()
        if not listen_s:
            worker.kill()
        task = self._replacement(worker, listen_s)
        self._replacing = asyncio.get_running_loop().create_task(task)

    async def _replacement(self, old: WorkerProcess, listen_s: float) -> None:
        try:
            if listen_s:  # the old worker's event 304, if it comes, ends everything
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(listen_s):
                        await self._fatal_seen.wait()
        finally:  # closed meanwhile too: the old worker's folder goes
            old.kill()
            await old.dispose()
            self.kept += old.kept
        low, high = self._backoff_s
        attempt = 0
        while not self.closed and self._fatal is None:
            try:
                self._worker = await self._start()
                break
            except BrokerFatal as exc:
                log.error("Fubon: cannot log in again (%s)", exc)
                self._fatal = exc
                break
            except BrokerError as exc:
                delay_s = min(high, low * 2**attempt)
                attempt += 1
                log.warning("Fubon: log-in again failed (%s); next try in %.1f s", exc, delay_s)
                await asyncio.sleep(delay_s)
        self._replacing = None
        self._ready.set()
        if self._worker is not None:
            self.reconnects += 1
            if self._on_replaced is not None:
                await self._on_replaced()


def _with_account(login: Login, account_no: str) -> Login:
    import msgspec

    return msgspec.structs.replace(login, account=account_no)
