"""A stand-in for the `fubon_neo` SDK object (`FubonSDK`), the one seam where tradeburst's
tests do not reach the real thing: Fubon's servers cannot be reached from here. It runs
where the real SDK runs, in the broker's worker process, loaded by name
(`FubonBroker(sdk_factory="_fubon_standin:make_sdk", sdk_options={...})`, or
`TRADEBURST_FUBON_SDK=_fubon_standin:make_sdk` with its options as JSON in
`TRADEBURST_FUBON_STANDIN_OPTIONS` for the CLI).

Its surface is SDK 2.3.1's: method names and positional signatures, real `fubon_neo`
`Order` and enum objects in, `Result` objects out (`_fubon_standin_objects`), and the
callbacks on a thread of their own (`_fubon_standin_callbacks`). `sdk.stock`
(`_fubon_standin_stock`) and `sdk.accounting` (`_fubon_standin_accounting`) send every call
over blocking HTTP to a real rehearsal exchange (`_fubon_standin_exchange`), so the
exchange's limits and faults reach the adapter unchanged.

It behaves as the real binary does at run time (observed offline against 2.3.1):
- the constructor, the logins and the queries hold the GIL (a `ctypes.PyDLL` call, which
  does not release it) for `gil_ms`; order calls release it;
- each login writes `./log/program.log.YYYYMMDD` with the request, password or API key
  included, base64-encoded, and `./log/client.log.YYYYMMDD` with the personal ID;
- a dropped connection, a logged-out reconnect, calls that never return, a panic, the
  process dying, event 304 before or after its answer: the `faults` of
  `_fubon_standin_faults`, applied in `StandinSDK.run`;
- a failure the SDK's docs do not describe (an HTTP 503, a reset) surfaces as the SDK
  reports a broken connection: `ValueError("IO error: …")`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections import Counter
from typing import Any

import websocket

from _fubon_standin_accounting import Accounting
from _fubon_standin_callbacks import Callbacks
from _fubon_standin_exchange import Exchange, write_sdk_log
from _fubon_standin_faults import EVENT_LAG_S, Faults, PanicException, hold_gil
from _fubon_standin_objects import (
    CLOSED,
    FORCED_LOGOUT,
    NOT_LOGGED_IN,
    RECORD_FIELDS,
    Obj,
    order_fields,
    result,
    sdk_fill,
    sdk_record,
)
from _fubon_standin_stock import Stock

__all__ = [
    "OPTIONS_ENV",
    "RECORD_FIELDS",
    "STANDIN_URL_ENV",
    "Obj",
    "StandinSDK",
    "make_sdk",
    "order_fields",
]

OPTIONS_ENV = "TRADEBURST_FUBON_STANDIN_OPTIONS"
STANDIN_URL_ENV = "TRADEBURST_FUBON_STANDIN_URL"


class StandinSDK:
    """`FubonSDK(pong_inteval, missed_count, url)`, forwarding to the exchange."""

    def __init__(
        self,
        pong_inteval: int | None = None,
        missed_count: int | None = None,
        url: str | None = None,
        *,
        exchange: str | None = None,
        seed: int = 1,
        gil_ms: float = 5.0,
        faults: list[str] | None = None,
        once_dir: str | None = None,
        mute: list[str] | None = None,
        undecided: list[int] | None = None,
        record: str | None = None,
        trace: str | None = None,
    ) -> None:
        self.url = url
        self.exchange = Exchange(exchange or os.environ[STANDIN_URL_ENV])
        self.stock = Stock(self)
        self.accounting = Accounting(self)
        self.rng = random.Random(seed)
        self.gil_s = gil_ms / 1000
        self.faults = Faults(faults or [], once_dir)
        self.callbacks = Callbacks(mute)
        self.logged_in = False
        self.logged_out = False
        """The SDK reconnected by itself after a drop: not logged in."""
        self.dead = False
        self.undecided: list[int] = list(undecided or ())
        """Statuses each order reads in its first queries, one a query, before its own:
        the back end has not decided yet (4, 8) or the broker lost track of it (9)."""
        self._record = record
        self._trace = trace
        """A file each call's name is added to as it begins: a test can wait for a call."""
        self._counts: Counter[str] = Counter()
        self._queried: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._socket: websocket.WebSocket | None = None
        self.run("ctor", True, lambda: None)
        self.emit("on_event", "100", "connected")

    # -- run-time behaviour -----------------------------------------------------------

    def run(self, name: str, gil: bool, call: Any) -> Any:
        """One SDK call: the GIL held if the real one holds it, and this call's fault."""
        with self._lock:
            self._counts[name] += 1
            n = self._counts[name]
            if self._trace is not None:
                with open(self._trace, "a", encoding="utf-8") as out:
                    out.write(f"{name}\n")
        fault = self.faults.of(name, n)
        if self.logged_out and name not in ("ctor", "login", "apikey_login", "apikey_dma_login"):
            return result(False, NOT_LOGGED_IN)
        if gil:
            hold_gil(self.gil_s)
        if fault == "url":
            return result(False, f"URL error: Unable to connect to {self.url}")
        if fault in ("closed-before", "logout"):
            self._reconnect_logged_out()
            return result(False, CLOSED if fault == "closed-before" else NOT_LOGGED_IN)
        if fault == "304":
            self.emit("on_event", "304", FORCED_LOGOUT)
            self.logged_out = True
            time.sleep(0.2)  # the event goes out before the answer
            return result(False, NOT_LOGGED_IN)
        if fault == "304-late":  # the answer beats the event to Python: a race of threads
            self.logged_out = True
            threading.Timer(EVENT_LAG_S, self.emit, ("on_event", "304", FORCED_LOGOUT)).start()
            return result(False, NOT_LOGGED_IN)
        if fault == "hang-gil":
            while True:
                hold_gil(3600)
        answer = call()
        if fault == "closed":
            self._reconnect_logged_out()
            return result(False, CLOSED)
        if fault == "hang":
            threading.Event().wait()
        if fault == "panic":
            raise PanicException(f"called `Option::unwrap()` on a `None` value ({name})")
        if fault == "exit":
            os.kill(os.getpid(), signal.SIGKILL)
        return answer

    def _reconnect_logged_out(self) -> None:
        """The socket closed: event 300; the SDK reopens it by itself, not logged in."""
        self.emit("on_event", "300", "disconnect")
        self.emit("on_event", "100", "connected")
        self.logged_out = True

    # -- login ----------------------------------------------------------------------------

    def login(
        self, personal_id: str, password: str, cert_path: str, cert_pass: str | None = None
    ) -> Obj:
        return self.run("login", True, lambda: self._login(personal_id, password))

    def apikey_login(
        self, personal_id: str, api_key: str, cert_path: str, cert_pass: str | None = None
    ) -> Obj:
        return self.run("apikey_login", True, lambda: self._login(personal_id, api_key))

    def apikey_dma_login(self, personal_id: str, api_key: str) -> Obj:
        return self.run("apikey_dma_login", True, lambda: self._login(personal_id, api_key))

    def _login(self, personal_id: str, key: str) -> Obj:
        write_sdk_log(personal_id, key)
        self.exchange.key = key
        status, answer = self.http("GET", "/v1/limits")
        if status != 200:
            return result(False, "certificate key error")
        self.logged_in, self.logged_out = True, False
        self._listen()
        account = Obj("Account", name="standin", account=answer["data"]["account"],
                      branch_no="6460", account_type="stock")  # fmt: skip
        return result(True, None, [account])

    def logout(self) -> bool:
        self.logged_in = False
        return True

    # -- callbacks ------------------------------------------------------------------------

    def set_on_order(self, callback: Any) -> None:
        self.callbacks.set("on_order", callback)

    def set_on_order_changed(self, callback: Any) -> None:
        self.callbacks.set("on_order_changed", callback)

    def set_on_filled(self, callback: Any) -> None:
        self.callbacks.set("on_filled", callback)

    def set_on_event(self, callback: Any) -> None:
        self.callbacks.set("on_event", callback)

    def emit(self, name: str, code: Any, content: Any) -> None:
        self.callbacks.emit(name, code, content)

    def _listen(self) -> None:
        """Fills come from the exchange's account stream, as `on_filled` callbacks."""
        self._socket = self.exchange.follow_fills(self._filled)

    def _filled(self, data: dict[str, Any]) -> None:
        if not self.dead:
            self.emit("on_filled", None, sdk_fill(data, callback=True))

    # -- the connection -------------------------------------------------------------------

    def http(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        if self._record is not None:
            with self._lock, open(self._record, "a", encoding="utf-8") as out:
                out.write(f"{method} {path}\n")
        if self.dead:
            raise ValueError("IO error: disconnected")
        if not self.logged_in and path != "/v1/limits":
            return 200, {"is_success": False, "message": NOT_LOGGED_IN, "data": None}
        status, answer = self.exchange.call(method, path, body)
        if status == 429:
            return status, {"is_success": False, "message": answer.get("message"), "data": None}
        return status, answer

    def as_queried(self, record: dict[str, Any]) -> Obj:
        """An order as `get_order_results` shows it, undecided in its first queries."""
        with self._lock:
            asked = self._queried[record["seq_no"]]
            self._queried[record["seq_no"]] += 1
        if asked < len(self.undecided):
            return sdk_record(record, function_type=None, status=self.undecided[asked])
        return sdk_record(record, function_type=None)

    def shutdown(self) -> None:
        self.dead = True
        if self._socket is not None:
            self._socket.close()
        self.callbacks.stop()


def make_sdk(url: str, **options: Any) -> StandinSDK:
    """The factory the worker loads by name; options from the test, else from the
    environment (the CLI's tests)."""
    if not options and os.environ.get(OPTIONS_ENV):
        options = json.loads(os.environ[OPTIONS_ENV])
    return StandinSDK(30, 2, url, **options)


make_sdk.tradeburst_standin = True  # type: ignore[attr-defined]
