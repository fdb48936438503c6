"""One compatible SDK's session with the rehearsal exchange: where it is and with which
key (from `tradeburst.sim.configure`, or `TRADEBURST_URL` and `TRADEBURST_API_KEY`), the
login that opens the transport and the account stream, the callbacks, and `request`, the
one way a call reaches the exchange: an answer, or `CallFailed` whose text is the SDK's
`Result.message` (Fubon's own for a rate-limit or connection-limit refusal, since the
exchange refuses in Fubon's words).
"""

from __future__ import annotations

import os
import random
import threading
from dataclasses import dataclass
from typing import Any

import msgspec

from tradeburst.errors import TradeburstError
from tradeburst.sim.fubon._callbacks import AccountStream, Callbacks
from tradeburst.sim.fubon._convert import fill_object
from tradeburst.sim.fubon._history import History
from tradeburst.sim.fubon._objects import Account
from tradeburst.sim.fubon._transport import CallFailed, Transport
from tradeburst.wire import FilledData, LimitsAnswer, OrderResult

__all__ = ["NOT_LOGGED_IN", "Session", "Target", "configure", "target"]

NOT_LOGGED_IN = "Not Login Error"
URL_ENV = "TRADEBURST_URL"
KEY_ENV = "TRADEBURST_API_KEY"
CONNECTIONS_WITHOUT_LIMIT = 16
"""Connections the SDK opens at most when the exchange declares no limit (profile none)."""
BRANCH_NO = "6460"
"""The rehearsal exchange's branch; its order records carry it too."""


class NoTarget(TradeburstError):
    """No rehearsal exchange was named for the compatible SDK."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    api_key: str

    def __repr__(self) -> str:  # never the key
        return f"Target({self.url!r})"


_configured: Target | None = None


def configure(url: str, api_key: str) -> None:
    """Point every compatible SDK made from now on at this exchange and key."""
    global _configured
    _configured = Target(url=url.rstrip("/"), api_key=api_key)


def target() -> Target:
    if _configured is not None:
        return _configured
    url, key = os.environ.get(URL_ENV), os.environ.get(KEY_ENV)
    if not url or not key:
        raise NoTarget(
            "the compatible fubon_neo SDK needs a rehearsal exchange: run the script with "
            "`tradeburst rehearse`, call tradeburst.sim.install(url=..., api_key=...), or set "
            f"{URL_ENV} and {KEY_ENV}"
        )
    return Target(url=url.rstrip("/"), api_key=key)


class Session:
    def __init__(self, where: Target) -> None:
        self.where = where
        self.callbacks = Callbacks()
        self.history = History()
        self.rng = random.Random()
        self.transport: Transport | None = None
        self.account: Any = None
        self._stream: AccountStream | None = None
        self._lock = threading.Lock()

    def login(self) -> Any:
        """The account list of a login, or `CallFailed`. A login again first lets go of
        the last one's connections, so the two never count together against the limit."""
        self.logout()
        probe = Transport(self.where.url, self.where.api_key)
        status, answer = probe.call("GET", "/v1/limits")
        if status != 200:
            probe.close()
            raise CallFailed(_message(answer, status))
        try:
            limits = msgspec.convert(answer["data"], LimitsAnswer)
        except (msgspec.ValidationError, KeyError, TypeError):
            probe.close()
            raise CallFailed(f"{self.where.url} does not answer as a rehearsal exchange") from None
        stream = AccountStream(
            self.where.url, self.where.api_key, self._filled, self._changed, self._lost
        )
        if not stream.start():
            stream.stop()
            probe.close()
            raise CallFailed(f"URL error: Unable to connect to {self.where.url}/v1/stream")
        with self._lock:
            self._drop()  # another login's, had one raced this one
            self._stream = stream
            # The account stream holds one of the account's connections.
            calls = (limits.connections or CONNECTIONS_WITHOUT_LIMIT + 1) - 1
            self.transport = probe.resized(max(1, calls))
            self.account = Account(
                name="rehearsal", account=limits.account, branch_no=BRANCH_NO, account_type="stock"
            )
        return [self.account]

    def _filled(self, fill: FilledData) -> None:
        self.callbacks.emit("on_filled", None, fill_object(fill, callback=True))

    def _changed(self, record: OrderResult) -> None:
        self.history.changed(record)

    def _lost(self) -> None:
        """The exchange closed the account stream: Fubon's disconnect event."""
        self.callbacks.emit("on_event", "300", "disconnect")

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """The exchange's envelope for one request (successful or not), or `CallFailed`."""
        transport = self.transport
        if transport is None:
            raise CallFailed(NOT_LOGGED_IN)
        status, answer = transport.call(method, path, body)
        if status == 200 and isinstance(answer, dict):
            return answer
        raise CallFailed(_message(answer, status))

    def logout(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream = None
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        self.account = None

    def shutdown(self) -> None:
        self.logout()
        self.callbacks.stop()


def _message(answer: Any, status: int) -> str:
    if isinstance(answer, dict) and answer.get("message"):
        return str(answer["message"])
    return f"the rehearsal exchange answered HTTP {status}"
