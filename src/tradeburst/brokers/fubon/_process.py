"""One SDK worker seen from the engine's process: the spawned process, its pipe, its
private folder, and the calls waiting for their replies.

A thread reads the pipe (a blocking read, portable to every platform's event loop) and
hands each message to the loop. A call is a future resolved by the reply with its id; when
the worker dies (killed for a deadline, a panic, a segfault, `kill -9`) every waiting call
fails with `WorkerGone`, and `on_exit` tells the owner. `kill` is immediate: nothing the
SDK does can hold it up.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from tradeburst.brokers.fubon._folder import dispose, private_folder
from tradeburst.brokers.fubon._wire import (
    Call,
    Login,
    Reply,
    ToParent,
    decode_to_parent,
    encode,
)
from tradeburst.brokers.fubon._worker import worker_main
from tradeburst.errors import TradeburstError

__all__ = ["WorkerGone", "WorkerProcess", "next_call_id"]

_ids = itertools.count(1)


def next_call_id() -> int:
    """A call's id, unique in this process (0 is the login's)."""
    return next(_ids)


class WorkerGone(TradeburstError):
    """The worker ended before it replied."""


class WorkerProcess:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_message: Callable[[WorkerProcess, ToParent], None],
        on_exit: Callable[[WorkerProcess], None],
        keep_log: Path | None,
    ) -> None:
        self._loop = loop
        self._on_message = on_message
        self._on_exit = on_exit
        self._keep_log = keep_log
        self.folder = private_folder()
        self._waiting: dict[int, asyncio.Future[Reply]] = {}
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self.gone = False
        self.disposed = False
        self.kept: list[Path] = []

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Spawn the worker (blocking for the time it takes to start a process)."""
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=worker_main, args=(theirs, str(self.folder)), name="tradeburst-fubon-sdk",
            daemon=True,
        )  # fmt: skip
        process.start()
        theirs.close()
        self._conn, self._process = ours, process
        threading.Thread(target=self._read, name="fubon-pipe", daemon=True).start()

    async def login(self, login: Login) -> Reply:
        """Send the login (the first message); its reply has id 0."""
        return await self._request(0, login)

    async def call(self, call: Call) -> Reply:
        return await self._request(call.id, call)

    async def _request(self, request_id: int, message: Login | Call) -> Reply:
        if self.gone or self._conn is None:
            raise WorkerGone("the SDK worker has ended")
        future: asyncio.Future[Reply] = self._loop.create_future()
        self._waiting[request_id] = future
        try:
            self._conn.send_bytes(encode(message))
        except (OSError, ValueError) as exc:
            self._waiting.pop(request_id, None)
            raise WorkerGone(f"the SDK worker has ended ({exc})") from None
        try:
            return await future
        finally:
            self._waiting.pop(request_id, None)

    def kill(self) -> None:
        """End the worker now (SIGKILL, or TerminateProcess on Windows)."""
        if self._process is not None and self._process.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self._process.kill()
        self._ended()

    async def finish(self, deadline_s: float) -> None:
        """Log out and end the worker within `deadline_s`, then dispose of its folder."""
        if not self.gone:
            with contextlib.suppress(WorkerGone, TimeoutError):
                async with asyncio.timeout(deadline_s):
                    await self.call(Call(id=next_call_id(), method="logout"))
        self.kill()
        await self.dispose()

    async def dispose(self) -> None:
        """Wait for the process to end, then delete (or keep) its private folder."""
        if self.disposed:
            return
        self.disposed = True
        process = self._process
        if process is not None:
            await asyncio.to_thread(process.join, 5)
        self.kept = await asyncio.to_thread(dispose, self.folder, self._keep_log)
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()

    # -- the reader thread, and the loop it hands to ------------------------------------

    def _read(self) -> None:
        conn = self._conn
        assert conn is not None
        while True:
            try:
                frame = conn.recv_bytes()
            except (EOFError, OSError):
                break
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
                self._loop.call_soon_threadsafe(self._deliver, frame)
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._ended)

    def _deliver(self, frame: bytes) -> None:
        message = decode_to_parent(frame)
        if isinstance(message, Reply):
            future = self._waiting.pop(message.id, None)
            if future is not None and not future.done():
                future.set_result(message)
            return
        if not self.gone:
            self._on_message(self, message)

    def _ended(self) -> None:
        if self.gone:
            return
        self.gone = True
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(WorkerGone("the SDK worker ended before it answered"))
        self._on_exit(self)
