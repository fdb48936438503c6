"""The SDK worker: a process of its own (multiprocessing's spawn start method, on every
platform) that holds the `fubon_neo` SDK, so that the SDK's GIL-holding calls (login,
queries, its constructor) freeze only this process, never the engine's loop or its Ctrl-C.

It works in the private folder it is given (the SDK writes `./log/` there, secrets
included), ignores Ctrl-C and SIGTERM (its parent decides, and kills it), and dies with its
parent where the platform can arrange that. It reads a `Login`, answers it, then serves each
`Call` on a pool of `connections` threads (the order calls release the GIL, so they run side
by side), sending every reply and callback back over the pipe under one lock.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

from tradeburst.brokers.fubon._wire import (
    Call,
    Login,
    Reply,
    ToParent,
    decode_to_worker,
    encode,
)

__all__ = ["OUTPUT_NAME", "worker_main"]

OUTPUT_NAME = "worker.out"
"""The worker's stdout and stderr, in its folder: whatever the SDK prints stays private."""


def worker_main(conn: Connection, folder: str) -> None:
    """The worker process's body (the target of `multiprocessing.Process`)."""
    # Ctrl-C reaches the whole process group, and systemd's stop sends SIGTERM to the whole
    # cgroup: the worker must outlive both so its parent can settle the orders in flight.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    _die_with_parent()
    os.chdir(folder)
    _redirect_output(os.path.join(folder, OUTPUT_NAME))
    lock = threading.Lock()

    def send(message: ToParent) -> None:
        frame = encode(message)
        with lock, contextlib.suppress(OSError):  # the parent is gone: nothing to tell
            conn.send_bytes(frame)

    try:
        first = decode_to_worker(conn.recv_bytes())
    except (EOFError, OSError):
        return
    if not isinstance(first, Login):
        return
    _serve(conn, first, send)


def _serve(conn: Connection, login: Login, send: Callable[[ToParent], None]) -> None:
    from tradeburst.brokers.fubon._account import WorkerAccount, failure_text

    account = WorkerAccount(login, send)
    try:
        send(account.open(login.account))
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        send(Reply(id=0, raised=failure_text(exc)))
        return
    pool = ThreadPoolExecutor(max(1, login.connections), thread_name_prefix="sdk-call")
    while True:
        try:
            call = decode_to_worker(conn.recv_bytes())
        except (EOFError, OSError):
            break
        if not isinstance(call, Call):
            continue
        if call.method == "logout":
            account.close()
            send(Reply(id=call.id, ok=True))
            break
        pool.submit(lambda c=call: send(account.serve(c)))  # type: ignore[misc]
    account.close()
    sys.stdout.flush()
    os._exit(0)  # hung SDK calls hold threads that would keep the process alive


def _redirect_output(path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for target in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(fd, target)
    os.close(fd)


def _die_with_parent() -> None:
    """Linux: SIGKILL when the parent dies, even if a call holds the GIL forever."""
    if not sys.platform.startswith("linux"):
        return  # elsewhere the pipe's end tells it, once it can read
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
