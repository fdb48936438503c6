"""A stand-in for the `fubon_neo` SDK object (`FubonSDK`), the one seam where tradeburst's
tests do not reach the real thing: Fubon's servers cannot be reached from here. It runs
where the real SDK runs, in the broker's worker process, loaded by name
(`FubonBroker(sdk_factory="_fubon_standin:make_sdk", sdk_options={...})`, or
`TRADEBURST_FUBON_SDK=_fubon_standin:make_sdk` with its options as JSON in
`TRADEBURST_FUBON_STANDIN_OPTIONS` for the CLI).

Its surface is SDK 2.3.1's: method names and positional signatures, real `fubon_neo`
`Order` and enum objects in, `Result` objects out, and the callbacks on a thread of its own
in the sequences of Fubon's callback examples (blocking new order 10 (or 90); unblock and
batch 4 → 8 → 10/90, a batch's outcomes out of order; changes 4 → final, or only the
failure for a refused change). Behind it every call goes over blocking HTTP to a real
rehearsal exchange, so the exchange's limits and faults reach the adapter unchanged.

It behaves as the real binary does at run time (observed offline against 2.3.1):
- the constructor, the logins and the queries hold the GIL (a `ctypes.PyDLL` call, which
  does not release it) for `gil_ms`; order calls release it;
- each login writes `./log/program.log.YYYYMMDD` with the request, password or API key
  included, base64-encoded, and `./log/client.log.YYYYMMDD` with the personal ID;
- `faults`, each `"method:n:behaviour"` (the n-th call of that method on this SDK; with
  `once_dir`, each fires once across every SDK of a test): `closed` (sent, then the
  connection-closed Result, event 300, and a logged-out reconnect), `closed-before` (the
  same, not sent), `url` (the URL-error Result, not sent), `logout` (answers
  `Not Login Error` from then on, after events 300 and 100), `hang` (sent, never returns,
  the GIL released), `hang-gil` (never returns, holding the GIL), `panic` (sent, then a
  `pyo3_runtime.PanicException`, a BaseException), `exit` (sent, then the process dies as
  by a segfault), `304` (event 304, the forced logout, then `Not Login Error`), `304-late`
  (`Not Login Error` first, the event `EVENT_LAG_S` behind it);
- a failure the SDK's docs do not describe (an HTTP 503, a reset) surfaces as the SDK
  reports a broken connection: `ValueError("IO error: …")`.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import http.client
import json
import os
import queue
import random
import re
import signal
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import websocket
from fubon_neo.constant import BSAction, MarketType, OrderType, PriceType, StockType, TimeInForce

RATE_LIMIT = "Login Error, 業務系統流量控管"
CLOSED = "Login Error, Unable to make method calls because underlying connection is closed"
NOT_LOGGED_IN = "Not Login Error"
FORCED_LOGOUT = "forced logout: API key changed"
EVENT_LAG_S = 0.3
"""How far `304-late`'s event trails its `Not Login Error` answer."""
OPTIONS_ENV = "TRADEBURST_FUBON_STANDIN_OPTIONS"
BATCH_TOO_LONG = (
    "Exceeded the maximum limit for batch orders per order. Please reduce the number of "
    "orders in the batch order. Max 30"
)
STANDIN_URL_ENV = "TRADEBURST_FUBON_STANDIN_URL"
_ORDER_FIELD = re.compile(r"^\s*(\w+): (.*?),?$")
_ENUMS: dict[str, Any] = {
    "buy_sell": BSAction,
    "market_type": MarketType,
    "price_type": PriceType,
    "after_price_type": PriceType,
    "time_in_force": TimeInForce,
    "order_type": OrderType,
}
_PRICES = ("price", "after_price", "before_price", "filled_price", "filled_avg_price")


class PanicException(BaseException):
    """What a Rust panic raises through PyO3: not an `Exception`."""


PanicException.__module__ = "pyo3_runtime"
_LIBC = ctypes.PyDLL(None)  # a PyDLL call keeps the GIL, as the SDK's blocking calls do


def hold_gil(seconds: float) -> None:
    """Sleep in C without releasing the GIL: every other thread of the process stops."""
    if seconds >= 1:
        _LIBC.sleep(int(seconds))
    elif seconds > 0:
        _LIBC.usleep(int(seconds * 1_000_000))


class Obj:
    """An SDK result object: attributes only, printed the SDK's way."""

    def __init__(self, kind: str, **fields: Any) -> None:
        self._kind = kind
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}: {v!r}" for k, v in vars(self).items() if k != "_kind")
        return f"{self._kind} {{ {fields} }}"


def result(is_success: bool, message: str | None = None, data: Any = None) -> Obj:
    return Obj("Result", is_success=is_success, message=message, data=data)


def order_fields(py_order: Any) -> dict[str, Any]:
    """What a real `fubon_neo.sdk.Order` holds: 2.3.1 has no getters, only its repr."""
    fields: dict[str, Any] = {}
    for line in repr(py_order).splitlines()[1:-1]:
        match = _ORDER_FIELD.match(line)
        assert match, line
        name, value = match.groups()
        fields[name] = None if value == "None" else json.loads(value) if value[0] == '"' else value
    fields["quantity"] = int(fields["quantity"])
    return fields


def sdk_record(data: dict[str, Any], **changes: Any) -> Obj:
    """An SDK `OrderResult` from the exchange's JSON: enums as SDK members, prices float."""
    fields = dict(data)
    fields.pop("received_ns", None)
    fields.pop("queue_seq", None)
    for name, enum in _ENUMS.items():
        if fields.get(name) is not None:
            fields[name] = getattr(enum, fields[name])
    for name in _PRICES:
        if fields.get(name) is not None:
            fields[name] = float(fields[name])
    fields.setdefault("details", None)
    fields.update(changes)
    return Obj("OrderResult", **fields)


def sdk_fill(data: dict[str, Any], *, callback: bool) -> Obj:
    fields = {k: v for k, v in data.items() if k != "filled_ns"}
    fields["buy_sell"] = getattr(BSAction, fields["buy_sell"])
    fields["order_type"] = getattr(OrderType, fields["order_type"])
    for name in _PRICES:
        if fields.get(name) is not None:
            fields[name] = float(fields[name])
    if not callback:  # seq_no and user_def come only in callbacks
        fields["seq_no"] = None
        fields["user_def"] = None
    return Obj("FilledData", **fields)


class _Exchange:
    """Blocking JSON over HTTP/1.1 keep-alive, one connection per calling thread."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        assert parts.hostname in ("127.0.0.1", "localhost"), "the stand-in stays on loopback"
        self.host, self.port = parts.hostname, parts.port or 80
        self.key = ""
        self._local = threading.local()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self._local.connection = connection
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        payload = None if body is None else json.dumps(body).encode()
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            status, raw = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            self._local.connection = None
            raise ValueError(f"IO error: {type(exc).__name__}: {exc}") from None
        if status in (204, 503) or status >= 500:
            raise ValueError(f"IO error: the server answered HTTP {status}")
        return status, json.loads(raw)


class _Stock:
    """`sdk.stock`: the order methods, with 2.3.1's parameter names."""

    def __init__(self, sdk: StandinSDK) -> None:
        self._sdk = sdk

    def place_order(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run("place_order", False, lambda: self._place_order(*args, **kwargs))

    def _place_order(self, account: Any, py_order: Any, unblock: bool | None = None) -> Obj:
        sdk = self._sdk
        fields = order_fields(py_order)
        status, answer = sdk.http("POST", "/v1/orders", _order_body(fields))
        if status != 200 and answer.get("data") is None:
            return result(False, answer.get("message"))
        record = answer["data"]
        failed = record["status"] == 90
        code = _code(record) if failed else None
        if unblock:
            ack = sdk_record(record, function_type=0, status=4, order_no=None, is_pre_order=True)
            sdk.emit("on_order", None, ack)
            sdk.emit("on_order", None, sdk_record(record, function_type=10, status=8,
                                                 order_no=None))  # fmt: skip
            sdk.emit("on_order", code, _outcome(record))
            return result(True, None, ack)
        sdk.emit("on_order", code, _outcome(record))
        if failed:
            return result(False, record.get("error_message"))
        return result(True, None, sdk_record(record, function_type=0))

    def batch_place_order(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run(
            "batch_place_order", False, lambda: self._batch_place_order(*args, **kwargs)
        )

    def _batch_place_order(self, account: Any, orders: list[Any]) -> Obj:
        sdk = self._sdk
        if len(orders) > 30:
            return result(False, BATCH_TOO_LONG)
        body = {"orders": [_order_body(order_fields(order)) for order in orders]}
        status, answer = sdk.http("POST", "/v1/orders/batch", body)
        if status != 200:
            return result(False, answer.get("message"))
        records = answer["data"]
        acks = [sdk_record(r, function_type=0, status=4, order_no=None) for r in records]
        for record in records:
            sdk.emit("on_order", None, sdk_record(record, function_type=0, status=8,
                                                 order_no=None))  # fmt: skip
        shuffled = list(records)
        sdk.rng.shuffle(shuffled)  # "processed by the system in multiple threads"
        for record in shuffled:
            sdk.emit("on_order", _code(record) if record["status"] == 90 else None,
                     _outcome(record))  # fmt: skip
        return result(True, None, acks)

    def make_modify_price_obj(
        self, order: Any, price: str | None = None, price_type: Any = None
    ) -> Obj:
        assert price is None or isinstance(price, str), "2.3.1 takes the price as a string"
        return Obj("ModifyPrice", order_result=order, price=price, price_type=price_type)

    def make_modify_quantity_obj(self, order: Any, quantity: int) -> Obj:
        return Obj("ModifyQuantity", order_result=order, quantity=int(quantity))

    def cancel_order(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run("cancel_order", False, lambda: self._cancel_order(*args, **kwargs))

    def _cancel_order(self, account: Any, order_res: Any, unblock: bool | None = None) -> Obj:
        return self._change(order_res, "cancel", {}, 30)

    def modify_price(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run("modify_price", False, lambda: self._modify_price(*args, **kwargs))

    def _modify_price(self, account: Any, order_res: Any, unblock: bool | None = None) -> Obj:
        body = (
            {"price": order_res.price}
            if order_res.price is not None
            else {"price_type": str(order_res.price_type).rpartition(".")[2]}
        )
        return self._change(order_res.order_result, "modify-price", body, 15)

    def modify_quantity(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run(
            "modify_quantity", False, lambda: self._modify_quantity(*args, **kwargs)
        )

    def _modify_quantity(self, account: Any, order_res: Any, unblock: bool | None = None) -> Obj:
        body = {"quantity": order_res.quantity}
        return self._change(order_res.order_result, "modify-quantity", body, 20)

    def _change(self, order: Any, action: str, body: dict[str, Any], function_type: int) -> Obj:
        sdk = self._sdk
        status, answer = sdk.http("POST", f"/v1/orders/{order.order_no}/{action}", body)
        if status != 200:
            return result(False, answer.get("message"))
        if not answer["is_success"]:  # a system refusal: only the failure, no status 4
            message = answer.get("message")
            failure = Obj("OrderResult", **{name: None for name in _RECORD_FIELDS})
            failure.__dict__.update(
                function_type=function_type,
                status=answer["data"]["status"],
                order_no=order.order_no,
                seq_no=order.seq_no,
                market_type=MarketType.UnSupported,
                error_message=message,
            )
            sdk.emit("on_order_changed", message, failure)
            return result(False, message)
        record = answer["data"]
        sdk.emit("on_order_changed", None, sdk_record(record, function_type=function_type,
                                                      status=4))  # fmt: skip
        final = sdk_record(record, function_type=function_type)
        sdk.emit("on_order_changed", None, final)
        return result(True, None, final)

    def get_order_results(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run(
            "get_order_results", True, lambda: self._get_order_results(*args, **kwargs)
        )

    def _get_order_results(self, account: Any) -> Obj:
        status, answer = self._sdk.http("GET", "/v1/orders")
        if status != 200:
            return result(False, answer.get("message"))
        return result(True, None, [self._sdk.as_queried(r) for r in answer["data"]])

    def filled_history(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run("filled_history", True, lambda: self._filled_history(*args, **kwargs))

    def _filled_history(
        self, account: Any, start_date: str | None = None, end_date: str | None = None
    ) -> Obj:
        status, answer = self._sdk.http("GET", "/v1/fills")
        if status != 200:
            return result(False, answer.get("message"))
        return result(True, None, [sdk_fill(f, callback=False) for f in answer["data"]])

    def query_symbol_snapshot(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run(
            "query_symbol_snapshot", True, lambda: self._query_symbol_snapshot(*args, **kwargs)
        )

    def _query_symbol_snapshot(
        self, account: Any, market_type: Any = None, stock_types: Any = None
    ) -> Obj:
        status, answer = self._sdk.http("GET", "/v1/symbols")
        if status != 200:
            return result(False, answer.get("message"))
        wanted = stock_types or [StockType.Stock]
        kinds = {"stock" if kind == StockType.Stock else "etf" for kind in wanted}
        quotes = [
            Obj(
                "SymbolQuote",
                symbol=s["symbol"],
                market_type=MarketType.Common,
                reference_price=float(s["reference_price"]),
                limitup_price=float(s["limitup_price"]),
                limitdown_price=float(s["limitdown_price"]),
            )
            for s in answer["data"]
            if s["kind"] in kinds
        ]
        return result(True, None, Obj("SymbolSnapshotResponse", symbols=quotes))


_RECORD_FIELDS = (
    "function_type",
    "date",
    "seq_no",
    "branch_no",
    "account",
    "order_no",
    "asset_type",
    "market",
    "market_type",
    "stock_no",
    "buy_sell",
    "price_type",
    "price",
    "quantity",
    "time_in_force",
    "order_type",
    "is_pre_order",
    "status",
    "after_price_type",
    "after_price",
    "unit",
    "after_qty",
    "filled_qty",
    "filled_money",
    "before_qty",
    "before_price",
    "user_def",
    "last_time",
    "details",
    "error_message",
)


def _order_body(fields: dict[str, Any]) -> dict[str, Any]:
    body = {
        "symbol": fields["symbol"],
        "buy_sell": fields["buy_sell"],
        "quantity": fields["quantity"],
        "price_type": fields["price_type"],
        "time_in_force": fields["time_in_force"],
        "market_type": fields["market_type"],
        "order_type": fields["order_type"],
    }
    if fields["price"] is not None:
        body["price"] = fields["price"]
    if fields["user_def"] is not None:
        body["user_def"] = fields["user_def"]
    return body


def _code(record: dict[str, Any]) -> str:
    return f"[4385715]{record.get('error_message')}"


def _outcome(record: dict[str, Any]) -> Obj:
    if record["status"] == 90:
        return sdk_record(record, function_type=90, order_no=None, after_qty=0)
    return sdk_record(record, function_type=10)


class _Accounting:
    """`sdk.accounting`: what the account holds, from the exchange's positions, as
    `UnrealizedData` (cost price a float, profit and loss whole TWD, a short as Sell)."""

    def __init__(self, sdk: StandinSDK) -> None:
        self._sdk = sdk

    def unrealized_gains_and_loses(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run(
            "unrealized_gains_and_loses", True, lambda: self._unrealized(*args, **kwargs)
        )

    def _unrealized(self, account: Any) -> Obj:
        status, answer = self._sdk.http("GET", "/v1/positions")
        if status != 200:
            return result(False, answer.get("message"))
        rows = []
        for held in answer["data"]:
            shares, cost = held["shares"], float(held["average_cost"])
            last = float(held["last_price"] or held["average_cost"])
            gain = int((last - cost) * shares)
            rows.append(Obj(
                "UnrealizedData", date=date.today().strftime("%Y/%m/%d"), account="9800001",
                branch_no="6460", stock_no=held["stock_no"],
                buy_sell=BSAction.Buy if shares > 0 else BSAction.Sell,
                order_type=OrderType.Stock, cost_price=cost, tradable_qty=abs(shares),
                today_qty=abs(shares), unrealized_profit=max(gain, 0),
                unrealized_loss=max(-gain, 0),
            ))  # fmt: skip
        return result(True, None, rows)


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
        self.exchange = _Exchange(exchange or os.environ[STANDIN_URL_ENV])
        self.stock = _Stock(self)
        self.accounting = _Accounting(self)
        self.rng = random.Random(seed)
        self.gil_s = gil_ms / 1000
        self.faults = [tuple(f.split(":", 2)) for f in faults or []]
        self.once_dir = None if once_dir is None else Path(once_dir)
        self.callbacks: dict[str, Any] = {}
        self.logged_in = False
        self.logged_out = False
        """The SDK reconnected by itself after a drop: not logged in."""
        self.dead = False
        self.muted: set[str] = set(mute or ())
        """Callbacks this SDK never delivers (lost with its connection)."""
        self.undecided: list[int] = list(undecided or ())
        """Statuses each order reads in its first queries, one a query, before its own:
        the back end has not decided yet (4, 8) or the broker lost track of it (9)."""
        self._record = record
        self._trace = trace
        """A file each call's name is added to as it begins: a test can wait for a call."""
        self._counts: Counter[str] = Counter()
        self._queried: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[str, Any, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._deliver, name="standin-cb", daemon=True)
        self._thread.start()
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
        fault = self._fault(name, n)
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

    def _fault(self, name: str, n: int) -> str | None:
        for method, nth, behaviour in self.faults:
            if method != name or int(nth) != n:
                continue
            if self.once_dir is not None:
                try:
                    (self.once_dir / f"{method}-{nth}-{behaviour}").open("x").close()
                except FileExistsError:
                    continue
            return behaviour
        return None

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
        _write_log(personal_id, key)
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
        self.callbacks["on_order"] = callback

    def set_on_order_changed(self, callback: Any) -> None:
        self.callbacks["on_order_changed"] = callback

    def set_on_filled(self, callback: Any) -> None:
        self.callbacks["on_filled"] = callback

    def set_on_event(self, callback: Any) -> None:
        self.callbacks["on_event"] = callback

    def emit(self, name: str, code: Any, content: Any) -> None:
        if name not in self.muted:
            self._queue.put((name, code, content))

    def _deliver(self) -> None:
        while (item := self._queue.get()) is not None:
            name, code, content = item
            callback = self.callbacks.get(name)
            if callback is not None:
                with contextlib.suppress(Exception):  # the SDK swallows these too
                    callback(code, content)

    def _listen(self) -> None:
        """Fills come from the exchange's account stream, as `on_filled` callbacks."""
        url = f"ws://{self.exchange.host}:{self.exchange.port}/v1/stream"
        try:
            self._socket = websocket.create_connection(
                url, header=[f"Authorization: Bearer {self.exchange.key}"], timeout=10
            )
        except Exception:
            return
        threading.Thread(target=self._read_stream, args=(self._socket,), daemon=True).start()

    def _read_stream(self, socket: websocket.WebSocket) -> None:
        socket.settimeout(None)
        while True:
            try:
                message = json.loads(socket.recv())
            except Exception:
                return
            if message.get("event") == "filled" and not self.dead:
                self.emit("on_filled", None, sdk_fill(message["data"], callback=True))

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
        self._queue.put(None)


def _write_log(personal_id: str, key: str) -> None:
    """What the real SDK writes in its current folder at each login."""
    folder = Path("log")
    folder.mkdir(exist_ok=True)
    day = date.today().strftime("%Y%m%d")
    request = json.dumps({"_oprn": "AthMFAAUTHN", "auin": key, "ptid": personal_id})
    line = base64.b64encode(f"DEBUG login request {request}".encode()).decode()
    with (folder / f"program.log.{day}").open("a", encoding="ascii") as out:
        out.write(line + "\n")
    with (folder / f"client.log.{day}").open("a", encoding="utf-8") as out:
        out.write(f"{time.strftime('%H:%M:%S')} login {personal_id}\n")


def make_sdk(url: str, **options: Any) -> StandinSDK:
    """The factory the worker loads by name; options from the test, else from the
    environment (the CLI's tests)."""
    if not options and os.environ.get(OPTIONS_ENV):
        options = json.loads(os.environ[OPTIONS_ENV])
    return StandinSDK(30, 2, url, **options)


make_sdk.tradeburst_standin = True  # type: ignore[attr-defined]
