"""`SimBroker`: the `Broker` protocol over the rehearsal exchange's HTTP and WebSocket API.

One `aiohttp.ClientSession` for the whole run; its `TCPConnector` holds at most
`connections` keep-alive connections (the broker's connection limit), and `warm` opens them
all before a burst so no order pays a connection setup. Request bodies are encoded with
msgspec straight from the model `Order`. A rush's opening requests are built whole ahead and
go out as bytes on idle connections of the pool (`prepare_opening`, `_opening.py`), written
back to back at the target by `write_opening`, their answers read by `place`/`place_batch`.
Every other POST goes the same way, built as it is sent, on a connection of the pool that
is idle at that moment (`_prebuilt_posts.py`); through aiohttp where none is.

An order action's answer carries the stamp the exchange's rate limit counted it by; each
`OrderState` of the answer has it (`counted_ns`), for the engine to free its throttle slot
from. HTTP answers map onto the engine's outcomes: 200 is an answer (accepted or not, per
order); 429 for rate is `RateLimited` and 503 is `NotSent` (nothing placed either way); a
connection that could not be opened is `NotSent`; a connection lost after the request
went out, or an answer that never came, is `AnswerLost`; 400 and 401 are `BrokerFatal`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import msgspec

from tradeburst.brokers._account import Position, WorkingOrder, position_of, working_of
from tradeburst.brokers._errors import AnswerLost, BrokerFatal, NotSent, RateLimited
from tradeburst.brokers._opening import OpeningLane, borrow_idle, build_request
from tradeburst.brokers._prebuilt_posts import PrebuiltPosts
from tradeburst.brokers._protocol import Capabilities, Instrument, OrderState
from tradeburst.limits import RATE_LIMIT_MESSAGE, LimitClass, LimitProfile, Window
from tradeburst.model import Fill, Order, OrderStatus
from tradeburst.rules import TickBand, TickLadder
from tradeburst.wire import (
    CountedEnvelope,
    Envelope,
    FillBrief,
    FilledData,
    Frame,
    LimitsAnswer,
    OrderBrief,
    OrderResult,
    PositionData,
    SymbolInfo,
    decode_batch_answer,
    decode_order_answer,
    envelope_decoder,
    order_body,
)

__all__ = ["DEFAULT_ANSWER_TIMEOUT_S", "SimBroker"]

T = TypeVar("T")

DEFAULT_ANSWER_TIMEOUT_S = 30.0
DEFAULT_CONNECTIONS = 16
"""When the exchange declares no connection limit and the caller asks for none."""


def _state(
    result: OrderBrief, message: str | None = None, counted_ns: int | None = None
) -> OrderState:
    """Raises ValueError for a status code tradeburst does not know."""
    return OrderState(
        user_def=result.user_def,
        order_no=result.order_no,
        status=OrderStatus(result.status),
        symbol=result.stock_no,
        quantity=result.after_qty,
        filled_qty=result.filled_qty,
        message=result.error_message or message,
        # The intent keeps it to the end of the run, and a burst's answers share few: the
        # exchange's clock text changes once a millisecond.
        last_time=None if result.last_time is None else sys.intern(result.last_time),
        counted_ns=counted_ns,
    )


def _fill(filled: FillBrief | FilledData, price: Decimal) -> Fill:
    return Fill(
        order_no=filled.order_no,
        symbol=sys.intern(filled.stock_no),
        side=filled.buy_sell,
        quantity=filled.filled_qty,
        price_twd=price,
        filled_no=filled.filled_no,
        time_ns=filled.filled_ns,
        user_def=filled.user_def,
    )


_encode = msgspec.json.Encoder(decimal_format="string").encode
_decode_answer = msgspec.json.Decoder(CountedEnvelope).decode


class SimBroker:
    """An account at the rehearsal exchange at `url`, reached with `api_key`."""

    name = "sim"

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        connections: int | None = None,
        answer_timeout_s: float = DEFAULT_ANSWER_TIMEOUT_S,
    ) -> None:
        self._url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self._wanted_connections = connections
        self._answer_timeout_s = answer_timeout_s
        self._session: aiohttp.ClientSession | None = None
        self._limits: LimitsAnswer | None = None
        self._bodies: dict[str, bytes] = {}
        """Encoded order bodies built ahead by `prepare`, by client order id."""
        self._lanes: dict[tuple[str, tuple[str, ...]], OpeningLane] = {}
        """A rush's opening requests built ahead, by path and the orders' client ids."""
        self._lane_order: list[tuple[tuple[str, tuple[str, ...]], OpeningLane] | None] = []
        """The same, by their place among the requests `prepare_opening` was given."""
        self._written: dict[tuple[str, tuple[str, ...]], OpeningLane] = {}
        """Those of them written (`write_opening`), their answers not yet taken."""
        self._prebuilt = PrebuiltPosts(self._url, self._headers)

    def __repr__(self) -> str:  # never the key
        return f"SimBroker({self._url!r})"

    @property
    def url(self) -> str:
        return self._url

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> SimBroker:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def connect(self) -> None:
        if self._session is not None:
            return
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_read=self._answer_timeout_s),
            connector=aiohttp.TCPConnector(limit=1, keepalive_timeout=60),
        )
        try:
            self._limits = await self._get("/v1/limits", LimitsAnswer)
        except BaseException:
            await self.aclose()
            raise
        # Now that the broker has said how many connections it takes, size the pool.
        connections = self.capabilities.connections
        await self._session.close()
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_read=self._answer_timeout_s),
            connector=aiohttp.TCPConnector(
                limit=connections, limit_per_host=connections, keepalive_timeout=60
            ),
        )

    async def aclose(self) -> None:
        self.end_opening()
        written, self._written = self._written, {}
        for lane in written.values():
            lane.abandon()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def warm(self, connections: int) -> None:
        """Open `connections` connections at once by sending that many clock reads together;
        the pool keeps them alive for the burst."""
        await asyncio.gather(*(self.server_time_ns() for _ in range(connections)))

    # -- what the broker declares ---------------------------------------------------------

    @property
    def account(self) -> str:
        return self._declared.account

    @property
    def profile(self) -> LimitProfile:
        declared = self._declared
        return LimitProfile(
            name=declared.profile,
            limits={
                LimitClass(cls): Window(requests=window.requests, seconds=window.window_s)
                for cls, window in declared.limits.items()
            },
            connections=declared.connections,
            suspension_s=declared.suspension_s,
            batch_counts_orders=declared.batch_counts_orders,
        )

    @property
    def capabilities(self) -> Capabilities:
        declared = self._declared
        wanted = self._wanted_connections
        if declared.connections is None:
            connections = wanted or DEFAULT_CONNECTIONS
        else:
            connections = max(1, min(declared.connections, wanted or declared.connections))
        return Capabilities(
            max_batch_orders=declared.max_batch_orders,
            connections=connections,
            always_open=declared.always_open,
            counted_resolution_ns=declared.counted_resolution_ns,
        )

    @property
    def _declared(self) -> LimitsAnswer:
        if self._limits is None:
            raise RuntimeError("SimBroker.connect() first")
        return self._limits

    async def instruments(self) -> dict[str, Instrument]:
        symbols = await self._get("/v1/symbols", list[SymbolInfo])
        return {
            s.symbol: Instrument(
                symbol=s.symbol,
                name=s.name,
                kind=s.kind,
                reference_twd=s.reference_price,
                limit_up_twd=s.limitup_price,
                limit_down_twd=s.limitdown_price,
                ticks=_ladder(s) if s.tick_bands else None,
            )
            for s in symbols
        }

    async def server_time_ns(self) -> int:
        answer = await self._request("GET", "/v1/time")
        return _readable("GET /v1/time", lambda: int(answer["exchange_time_ns"]))

    # -- order actions --------------------------------------------------------------------

    def prepare(self, orders: Sequence[Order]) -> None:
        self._bodies = {o.user_def: _encode(order_body(o)) for o in orders if o.user_def}

    def _body(self, order: Order) -> bytes:
        body = self._bodies.get(order.user_def) if order.user_def else None
        return body if body is not None else _encode(order_body(order))

    async def prepare_opening(self, requests: Sequence[tuple[Sequence[Order], bool]]) -> None:
        """Build each of a rush's opening requests (its orders, whether a batch) whole, and
        set an idle warm connection aside for it, as far as idle connections go."""
        self.end_opening()
        session = self._open_session()
        parts = urlsplit(self._url)
        for orders, batch in requests:
            connection = None
            if orders and all(o.user_def for o in orders):
                connection = await borrow_idle(session)
            if connection is None:
                self._lane_order.append(None)
                continue
            path = "/v1/orders/batch" if batch else "/v1/orders"
            body = self._batch_body(orders) if batch else self._body(orders[0])
            request = build_request(parts.netloc, parts.path + path, self._headers, body)
            key = _lane_key(path, orders)
            self._lanes[key] = lane = OpeningLane(connection, request)
            self._lane_order.append((key, lane))

    def write_opening(self, index: int) -> bool:
        """Write the `index`th request given to `prepare_opening`, in this call, if it was
        built and its connection is still open; whether it went. `place`/`place_batch` of
        the same orders then read its answer."""
        built = self._lane_order[index] if index < len(self._lane_order) else None
        if built is None:
            return False
        key, lane = built
        if self._lanes.pop(key, None) is not lane:  # sent the usual way meanwhile
            return False
        if not lane.write():  # the exchange closed it meanwhile: the pool's way instead
            lane.release()
            return False
        self._written[key] = lane
        return True

    def end_opening(self) -> None:
        """Hand back the connections of opening requests that did not go."""
        lanes, self._lanes, self._lane_order = self._lanes, {}, []
        for lane in lanes.values():
            lane.release()

    async def place(self, order: Order) -> OrderState:
        raw = await self._post("/v1/orders", self._body(order), (order,))
        answer = _readable("POST /v1/orders", lambda: decode_order_answer(raw))
        return _state(answer.data, answer.message, answer.counted_ns)

    def _batch_body(self, orders: Sequence[Order]) -> bytes:
        return b'{"orders":[' + b",".join(self._body(order) for order in orders) + b"]}"

    async def place_batch(self, orders: Sequence[Order]) -> list[OrderState]:
        raw = await self._post("/v1/orders/batch", self._batch_body(orders), orders)
        answer = _readable("POST /v1/orders/batch", lambda: decode_batch_answer(raw))
        results = answer.data
        if len(results) != len(orders):
            raise AnswerLost(f"batch of {len(orders)} answered with {len(results)} results")
        return [_state(result, counted_ns=answer.counted_ns) for result in results]

    async def cancel(self, order_no: str) -> OrderState:
        return await self._change(order_no, "cancel", b"{}")

    async def modify_price(self, order_no: str, price_twd: Decimal) -> OrderState:
        return await self._change(order_no, "modify-price", _encode({"price": price_twd}))

    async def modify_quantity(self, order_no: str, quantity: int) -> OrderState:
        return await self._change(order_no, "modify-quantity", _encode({"quantity": quantity}))

    async def _change(self, order_no: str, action: str, body: bytes) -> OrderState:
        path = f"/v1/orders/{order_no}/{action}"
        raw = await self._post(path, body)
        answer = _readable(f"POST {path}", lambda: _decode_answer(raw))
        counted_ns = answer.counted_ns
        if answer.is_success:
            brief = _readable(path, lambda: msgspec.convert(answer.data, OrderBrief))
            return _readable(path, lambda: _state(brief, counted_ns=counted_ns))
        status = _readable(path, lambda: OrderStatus(_refusal_status(answer.data)))
        return OrderState(
            user_def=None,
            order_no=order_no,
            status=status,
            symbol="",
            quantity=0,
            message=answer.message,
            counted_ns=counted_ns,
        )

    # -- queries --------------------------------------------------------------------------

    async def order_results(self, user_def: str | None = None) -> list[OrderState]:
        path = "/v1/orders" if user_def is None else f"/v1/orders?user_def={user_def}"
        results = await self._get(path, list[OrderBrief])
        return _readable(f"GET {path}", lambda: [_state(result) for result in results])

    async def fills(self) -> list[Fill]:
        briefs = await self._get("/v1/fills", list[FillBrief])
        prices: dict[str, Decimal] = {}  # a day's fills repeat few prices: one Decimal each
        return [_fill(f, prices.get(f.filled_price) or _price(prices, f)) for f in briefs]

    async def working_orders(self) -> list[WorkingOrder]:
        records = await self._get("/v1/orders", list[OrderResult])
        return [w for w in map(working_of, records) if w is not None]

    async def positions(self) -> list[Position]:
        return [position_of(p) for p in await self._get("/v1/positions", list[PositionData])]

    async def events(self) -> AsyncIterator[OrderState | Fill]:
        session = self._open_session()
        async with session.ws_connect(self._url + "/v1/stream", headers=self._headers) as socket:
            async for message in socket:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                event = msgspec.json.decode(message.data, type=Frame)
                if event.event == "order":
                    yield _state(msgspec.convert(event.data, OrderBrief))
                elif event.event == "filled":
                    filled = msgspec.convert(event.data, FilledData)
                    yield _fill(filled, filled.filled_price)

    # -- transport ------------------------------------------------------------------------

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("SimBroker.connect() first")
        return self._session

    async def _get(self, path: str, kind: type[T]) -> T:
        raw: bytes = await self._request("GET", path, raw=True)
        with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
            answer = envelope_decoder(kind)(raw)  # one pass, no dict per record
            if answer.is_success:
                data: T = answer.data
                return data
        # A refusal, or an answer not of `kind`: read as before, for its message or error.
        envelope = _readable(f"GET {path}", lambda: msgspec.json.decode(raw, type=Envelope))
        if not envelope.is_success:
            raise BrokerFatal(f"GET {path}: {envelope.message}")
        return _readable(f"GET {path}", lambda: msgspec.convert(envelope.data, kind))

    async def _post(self, path: str, body: bytes, orders: Sequence[Order] = ()) -> bytes:
        if self._written or self._lanes:  # a rush's opening, built ahead
            key = _lane_key(path, orders)
            written = self._written.pop(key, None)
            if written is not None:
                return await self._post_on(written, path)
            lane = self._lanes.pop(key, None)
            if lane is not None and lane.write():
                return await self._post_on(lane, path)
            if lane is not None:  # the exchange closed it meanwhile: the pool's way instead
                lane.release()
        prebuilt = await self._prebuilt.write(self._open_session(), path, body)
        if prebuilt is not None:
            return await self._answer_on(prebuilt, path)
        raw: bytes = await self._request("POST", path, body, raw=True)
        return raw

    async def _post_on(self, lane: OpeningLane, path: str) -> bytes:
        """The answer to the opening's request written on `lane`."""
        return await self._answer_on(lane, path)

    async def _answer_on(self, lane: OpeningLane, path: str) -> bytes:
        """The answer to the request written on `lane`; `AnswerLost` where none came."""
        try:
            status, payload = await lane.answer(self._answer_timeout_s)
        except (ConnectionError, TimeoutError, ValueError) as exc:
            raise AnswerLost(f"POST {path}: no answer ({type(exc).__name__}: {exc})") from exc
        raw: bytes = _answered("POST", path, status, payload, raw=True)
        return raw

    async def _request(
        self, method: str, path: str, body: bytes | None = None, *, raw: bool = False
    ) -> Any:
        session = self._open_session()
        try:
            async with session.request(
                method, self._url + path, data=body, headers=self._headers
            ) as response:
                payload = await response.read()
                status = response.status
        except aiohttp.ClientConnectorError as exc:
            raise NotSent(f"{method} {path}: cannot connect: {exc}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AnswerLost(f"{method} {path}: no answer ({type(exc).__name__})") from exc
        return _answered(method, path, status, payload, raw=raw)


def _lane_key(path: str, orders: Sequence[Order]) -> tuple[str, tuple[str, ...]]:
    return path, tuple(o.user_def or "" for o in orders)


def _answered(method: str, path: str, status: int, payload: bytes, *, raw: bool) -> Any:
    """The answer's body (decoded unless `raw`) for a 200, else the outcome it means."""
    if status == 200:
        return (
            payload if raw else _readable(f"{method} {path}", lambda: msgspec.json.decode(payload))
        )
    message = _message_of(payload)
    if status == 429:
        if RATE_LIMIT_MESSAGE in message:
            raise RateLimited(message)
        raise NotSent(message)  # over the connection limit: nothing was placed
    if status == 503:
        raise NotSent(message)
    if status in (400, 401, 404):
        raise BrokerFatal(f"{method} {path}: HTTP {status}: {message}")
    raise AnswerLost(f"{method} {path}: HTTP {status}: {message}")


def _refusal_status(data: Any) -> int:
    """The status a refused change carries (19, 29, 39), or 90."""
    status = data.get("status") if isinstance(data, dict) else None
    return int(status) if isinstance(status, int) else int(OrderStatus.FAILED)


def _price(prices: dict[str, Decimal], filled: FillBrief) -> Decimal:
    """The fill's price, remembered in `prices`; `AnswerLost` if it is not a price."""
    text = filled.filled_price
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise AnswerLost(f"GET /v1/fills: unreadable answer (price {text[:40]!r})") from None
    prices[text] = price
    return price


def _readable(what: str, read: Callable[[], T]) -> T:
    """`read()` the answer to `what`, or raise `AnswerLost` if it cannot be read: an answer
    we cannot read tells us no more than none."""
    try:
        return read()
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, KeyError, TypeError) as exc:
        raise AnswerLost(f"{what}: unreadable answer ({exc})") from exc


def _message_of(payload: bytes) -> str:
    try:
        return str(msgspec.json.decode(payload, type=Envelope).message or "")
    except msgspec.DecodeError:
        return payload[:200].decode("utf-8", "replace")


def _ladder(symbol: SymbolInfo) -> TickLadder:
    bands = [TickBand(lower_twd=lower, tick_twd=tick) for lower, tick in symbol.tick_bands]
    return TickLadder(f"{symbol.symbol}'s", bands)
