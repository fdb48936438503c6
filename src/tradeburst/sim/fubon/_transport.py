"""The compatible SDK's line to the rehearsal exchange: blocking HTTP/1.1 on a small pool
of keep-alive connections, one per call in flight.

Blocking, not an event loop in a thread: a Fubon script calls the SDK from any thread it
likes (the docs' `ThreadPoolExecutor`, the guide's `run_in_executor`, a callback), and a
blocking call made on the caller's own thread needs no hand-over to another loop and cannot
deadlock with the script's own loop. The pool never holds more connections than the
exchange allows the account (less one for the account stream); a call that finds them all
busy waits for one, as a request waits on the real SDK's single socket. Nothing is sent
twice: a call that fails is reported, never retried; so an idle connection the server may
have closed (aiohttp closes them after 75 s) is never reused: one idle for
`MAX_IDLE_S`, or one the server has already closed, is replaced before the request.
"""

from __future__ import annotations

import http.client
import json
import queue
import select
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from tradeburst.errors import TradeburstError

__all__ = ["CLOSED_MESSAGE", "CallFailed", "Transport"]

CLOSED_MESSAGE = "Login Error, Unable to make method calls because underlying connection is closed"
"""The binary's answer to a call whose connection closed while it was in flight."""
ANSWER_TIMEOUT_S = 30.0
MAX_IDLE_S = 30.0
MAX_ANSWER_BYTES = 64 * 1024 * 1024


class CallFailed(TradeburstError):
    """A call the exchange did not carry out, or whose answer was lost: its message is what
    the SDK's `Result.message` says."""


class Transport:
    """JSON over HTTP to the exchange at `url` with `api_key`, at most `connections` at once."""

    def __init__(self, url: str, api_key: str, connections: int = 1) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the rehearsal exchange's URL must be http://HOST:PORT, not {url!r}")
        self.url = url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self._idle: queue.LifoQueue[tuple[http.client.HTTPConnection, float]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(max(1, connections))
        self._closed = False

    def __repr__(self) -> str:  # never the key
        return f"Transport({self.url!r})"

    def resized(self, connections: int) -> Transport:
        """This transport with room for `connections`, keeping its idle connections, so
        none is closed and opened again (the exchange counts a closing one a moment)."""
        other = Transport(self.url, self.api_key, connections)
        other._idle = self._idle
        return other

    @property
    def api_key(self) -> str:
        return self._headers["Authorization"].partition(" ")[2]

    @property
    def host_port(self) -> str:
        return self.url.split("://", 1)[1]

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """The status and decoded JSON of one request; `CallFailed` if it was not carried
        out or its answer was lost."""
        payload = None if body is None else json.dumps(body).encode()
        with self._slots:
            connection = self._connection()
            try:
                connection.request(method, path, body=payload, headers=self._headers)
                response = connection.getresponse()
                status, raw = response.status, response.read(MAX_ANSWER_BYTES)
            except ConnectionRefusedError:
                connection.close()
                raise CallFailed(f"URL error: Unable to connect to {self.url}") from None
            except (OSError, http.client.HTTPException):
                connection.close()
                raise CallFailed(CLOSED_MESSAGE) from None
            if response.will_close:
                connection.close()
            else:
                self._idle.put((connection, time.monotonic()))
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            raise CallFailed(f"{CLOSED_MESSAGE} (unreadable answer to {method} {path})") from None

    def _connection(self) -> http.client.HTTPConnection:
        """An idle connection that is surely still open, else a new one."""
        while True:
            try:
                connection, since = self._idle.get_nowait()
            except queue.Empty:
                kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
                return kind(self._host, self._port, timeout=ANSWER_TIMEOUT_S)
            if time.monotonic() - since < MAX_IDLE_S and not _closed_by_server(connection):
                return connection
            connection.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait()[0].close()
            except queue.Empty:
                return


def _closed_by_server(connection: http.client.HTTPConnection) -> bool:
    """An idle connection with something to read has been closed (or spoken to out of
    turn) by the server: not to be used."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
