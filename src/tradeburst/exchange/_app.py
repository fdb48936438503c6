"""The HTTP and WebSocket API of the rehearsal exchange: one handler per route, each a
thin layer that decodes the body, applies the broker's limits and faults, asks the
`Market`, flushes the `Store` and answers in the Fubon-shaped envelope.

Broker behaviour comes in this order for an order action: the body is read to its end
(even if the client has left since: bytes that arrived are a request), the late fault's
hold, the profile's rate limit (429, nothing counted against the market), the body's
checks (400), then the seeded fault, then the market. An ambiguous fault lets the market
act and the store commit before the answer is lost, which is what makes it ambiguous to
the client. An answer whose client has gone is dropped by aiohttp, as it would be in
life. A request is counted by its rate limit at its arrival stamp (`_gateway.py`), moved to
the end of the late fault's hold if it was held, and an order action's answer carries that
stamp (`counted_ns`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from aiohttp import WSMsgType, web

from tradeburst.exchange._accounts import HOUSE, Account
from tradeburst.exchange._api import error_response, fubon_user_def, json_response
from tradeburst.exchange._batch_changes import BatchChanges
from tradeburst.exchange._body import BodyError, decode_body, read_body
from tradeburst.exchange._clock import Clock
from tradeburst.exchange._faults import Fault, FaultInjector
from tradeburst.exchange._gateway import (
    Gateway,
    account_of,
    arrived_of,
    received_ns_of,
    stamp_arrived,
)
from tradeburst.exchange._holds import Holds
from tradeburst.exchange._market import Market, Refusal
from tradeburst.exchange._positions import add_positions_route
from tradeburst.exchange._profiles import CountedStamps, LimitClass, LimitProfile, RateGate
from tradeburst.exchange._store import Store
from tradeburst.exchange._streams import AccountStreams, MarketDataFeed, Subscriber
from tradeburst.exchange.fugle import FugleMarketData
from tradeburst.model import Order, OrderError, OrderStatus, PriceType
from tradeburst.rules import from_cents
from tradeburst.wire import (
    MAX_BATCH_ORDERS,
    AdminOrder,
    AdminOrders,
    AdminStats,
    BatchBody,
    BookLevel,
    BookSnapshot,
    CountedEnvelope,
    Envelope,
    LimitsAnswer,
    LimitWindow,
    ModifyPriceBody,
    ModifyQuantityBody,
    OrderResult,
    PlaceOrderBody,
    Quote,
    SymbolInfo,
    TimeAnswer,
    error_frame,
    price_of,
)

__all__ = ["ExchangeApp"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Answered(Exception):
    """Raised inside a handler to answer at once with `response`."""

    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response


_MAX_FRAME_BYTES = 64 * 1024
"""Client frames are small commands; anything bigger is abuse."""

_COUNTED_NS = "tradeburst.counted_ns"
"""Where a request keeps the stamp its rate limit counted it by, for its answer."""

_BINARY_REFUSAL = msgspec.json.encode(error_frame("frames must be text: JSON objects, not binary"))
"""Every stream's answer to a binary frame, which no stream takes."""


def _not_found(account: Account, order_no: str) -> web.Response:
    return error_response(404, f"order {order_no} not found in account {account.account}")


class ExchangeApp:
    def __init__(
        self,
        *,
        market: Market,
        store: Store,
        gateway: Gateway,
        profile: LimitProfile,
        broker_clock: Clock,
        faults: FaultInjector,
        openapi: Callable[[], dict[str, Any]],
        body_timeout_s: float,
        counted: CountedStamps | None = None,
    ) -> None:
        self.market = market
        self.store = store
        self.gateway = gateway
        self.profile = profile
        self._broker_clock = broker_clock
        self.faults = faults
        self.holds = Holds()
        self._body_timeout_s = body_timeout_s
        self._openapi = openapi
        self._counted = counted
        """How answers report the limiter's stamps; None: they do not (the rate windows run
        on another clock than the one `/v1/time` reads)."""
        self._gates: dict[str, RateGate] = {}
        epoch = time.time_ns()
        self.streams = AccountStreams(epoch)
        self.feed = MarketDataFeed(self.book_snapshot, epoch)
        market.listeners.extend([store, self.streams, self.feed])
        store.after_flush.append(self.streams.release)
        self._sockets: set[web.WebSocketResponse] = set()

    def build(self) -> web.Application:
        self.app = app = web.Application(middlewares=[self.gateway.middleware, self._answered])
        app.router.add_get("/openapi.json", self.openapi)
        app.router.add_get("/v1/time", self.time)
        app.router.add_get("/v1/limits", self.limits)
        app.router.add_get("/v1/symbols", self.symbols)
        app.router.add_get("/v1/quotes/{symbol}", self.quote)
        app.router.add_post("/v1/orders", self.place)
        app.router.add_post("/v1/orders/batch", self.place_batch)
        app.router.add_get("/v1/orders", self.orders)
        app.router.add_post("/v1/orders/{order_no}/cancel", self.cancel)
        app.router.add_post("/v1/orders/{order_no}/modify-price", self.modify_price)
        app.router.add_post("/v1/orders/{order_no}/modify-quantity", self.modify_quantity)
        BatchChanges(self).register(app)
        app.router.add_get("/v1/fills", self.fills)
        add_positions_route(self, app)
        app.router.add_get("/v1/stream", self.account_stream)
        app.router.add_get("/v1/marketdata", self.market_data)
        app.router.add_get("/v1/admin/orders", self.admin_orders)
        app.router.add_get("/v1/admin/stats", self.admin_stats)
        app.on_shutdown.append(self._close_sockets)
        self.fugle = FugleMarketData.attach(app, self.market, self.gateway.account_for)
        return app

    @web.middleware
    async def _answered(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Answer `_Answered` at once; and whatever a request changed (an order, or an
        auction its lazy phase change ran) is stored before the answer goes out."""
        try:
            response: web.StreamResponse = await handler(request)
        except _Answered as answered:
            response = answered.response
        finally:
            await self.store.committed()
        return response

    # -- helpers --------------------------------------------------------------------------

    def _gate(
        self,
        account: Account,
        limit_class: LimitClass,
        orders: int = 1,
        request: web.Request | None = None,
    ) -> None:
        """Count the request in its account's window, or answer 429. It is counted by its
        arrival stamp on the rate clock (now, for a caller without a `request`), and
        `request` keeps the stamp it was counted by, for an order action's answer."""
        gate = self._gates.get(account.account)
        if gate is None:
            gate = self._gates[account.account] = RateGate(self.profile)
        stamp_ns = arrived_of(request).rate_ns if request is not None else None
        counted_ns = gate.countable(self._broker_clock.now_ns() if stamp_ns is None else stamp_ns)
        refusal = gate.admit(limit_class, counted_ns, orders)
        if refusal is not None:
            self.gateway.stats.rate_limited += 1
            raise _Answered(error_response(429, refusal))
        if request is not None:
            request[_COUNTED_NS] = counted_ns

    async def _receive(self, request: web.Request) -> bytes:
        """The body of an order action once the broker has it: read whole, then held
        if the late fault strikes, and stamped as arrived when the hold ends."""
        try:
            raw = await read_body(request, self._body_timeout_s)
        except web.RequestPayloadError as exc:  # e.g. a Content-Encoding it is not in
            raise _Answered(error_response(400, f"invalid body: {exc}")) from None
        if raw is None:  # the client left, or stalled, before its body was whole: no request
            raise _Answered(self._abort(request))
        if self.faults.late():
            landed = await self.holds.hold_until_landed(
                self.faults.rates.late_ms / 1000, self.gateway.arrival_clock.now
            )
            if landed is None:
                raise _Answered(self._abort(request))  # stopping: it never reached the market
            stamp_arrived(request, landed)
        return raw

    @staticmethod
    def _decode(request: web.Request, raw: bytes, kind: type[T]) -> T:
        try:
            return decode_body(raw, request.headers.get("Content-Type"), kind)
        except BodyError as exc:
            raise _Answered(error_response(exc.status, str(exc))) from None

    def _fault_before(self, request: web.Request) -> Fault | None:
        """Draw the fault; the ones that strike before the market acts answer at once."""
        fault = self.faults.draw()
        if fault is Fault.ERROR:
            raise _Answered(
                error_response(
                    503, "injected fault: the broker failed before accepting; nothing placed"
                )
            )
        if fault is Fault.RESET:
            raise _Answered(self._abort(request))
        return fault

    async def _answer(
        self, request: web.Request, fault: Fault | None, envelope: Envelope
    ) -> web.StreamResponse:
        """Answer after the market acted, unless the fault strikes the answer: a stall
        delays it, an ambiguous fault loses it (at once, or after the stall time). The
        change is stored first either way."""
        envelope = self._counted_envelope(request, envelope)
        if fault is not Fault.STALL and fault is not Fault.AMBIGUOUS:
            return json_response(envelope)
        self.store.flush()
        if fault is Fault.STALL or self.faults.coin():
            held = await self.holds.hold(self.faults.rates.stall_ms / 1000)
            if not held:  # the exchange is stopping; what the market did is stored
                return self._abort(request)
        if fault is Fault.AMBIGUOUS:
            return self._abort(request)
        return json_response(envelope)

    def _counted_envelope(self, request: web.Request, envelope: Envelope) -> CountedEnvelope:
        counted_ns = request.get(_COUNTED_NS)
        report = self._counted
        return CountedEnvelope(
            is_success=envelope.is_success,
            message=envelope.message,
            data=envelope.data,
            counted_ns=None if counted_ns is None or report is None else report.report(counted_ns),
        )

    @staticmethod
    def _abort(request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=204)

    def book_snapshot(self, symbol: str) -> BookSnapshot:
        bids, asks = self.market.books[symbol].depth(5)
        return BookSnapshot(
            symbol=symbol,
            bids=[BookLevel(price=from_cents(p), size=q) for p, q in bids],
            asks=[BookLevel(price=from_cents(p), size=q) for p, q in asks],
            time=self.market.clock.now_ns() // 1000,
        )

    # -- market information ---------------------------------------------------------------

    async def openapi(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._openapi())

    async def time(self, request: web.Request) -> web.StreamResponse:
        # Its own arrival stamp, taken where an order's is: a client that sets its clock
        # offset and shortest trip from these reads finds the order stamps consistent.
        return json_response(TimeAnswer(exchange_time_ns=received_ns_of(request)))

    async def limits(self, request: web.Request) -> web.StreamResponse:
        profile = self.profile
        data = LimitsAnswer(
            account=account_of(request).account,
            profile=profile.name,
            limits={
                cls.value: LimitWindow(requests=window.requests, window_s=window.seconds)
                for cls, window in profile.limits.items()
            },
            connections=profile.connections,
            batch_counts_orders=profile.batch_counts_orders,
            max_batch_orders=MAX_BATCH_ORDERS,
            suspension_s=profile.suspension_s,
            always_open=self.market.schedule.always_open,
            counted_resolution_ns=None if self._counted is None else self._counted.resolution_ns,
        )
        return json_response(Envelope(is_success=True, data=data))

    async def symbols(self, request: web.Request) -> web.StreamResponse:
        data = [
            SymbolInfo(
                symbol=s.code,
                name=s.name,
                kind=s.kind,
                reference_price=s.band.reference_twd,
                limitup_price=s.band.limit_up_twd,
                limitdown_price=s.band.limit_down_twd,
                tick_bands=[(band.lower_twd, band.tick_twd) for band in s.ladder.bands],
            )
            for s in self.market.symbols.values()
        ]
        return json_response(Envelope(is_success=True, data=data))

    async def quote(self, request: web.Request) -> web.StreamResponse:
        code = request.match_info["symbol"]
        symbol = self.market.symbols.get(code)
        if symbol is None:
            return error_response(404, f"symbol {code} is not listed on this exchange")
        self.market.sync()
        last = self.market.books[code].last_price_cents
        book = self.book_snapshot(code)
        data = Quote(
            symbol=code,
            bids=book.bids,
            asks=book.asks,
            time=book.time,
            phase=self.market.phase(),
            reference_price=symbol.band.reference_twd,
            limitup_price=symbol.band.limit_up_twd,
            limitdown_price=symbol.band.limit_down_twd,
            last_price=from_cents(last) if last is not None else None,
            total_volume=self.market.volume(code),
        )
        return json_response(Envelope(is_success=True, data=data))

    # -- order actions --------------------------------------------------------------------

    async def place(self, request: web.Request) -> web.StreamResponse:
        raw = await self._receive(request)
        account = account_of(request)
        self._gate(account, LimitClass.ORDER, request=request)
        body = self._decode(request, raw, PlaceOrderBody)
        order, warning = self._to_order(body)
        fault = self._fault_before(request)
        record = self.market.place(account, order, received_ns_of(request))
        if record.status is OrderStatus.FAILED:
            envelope = Envelope(is_success=False, message=record.error_message, data=record)
        else:
            envelope = Envelope(is_success=True, message=warning, data=record)
        return await self._answer(request, fault, envelope)

    async def place_batch(self, request: web.Request) -> web.StreamResponse:
        raw = await self._receive(request)
        account = account_of(request)
        body = self._decode(request, raw, BatchBody)
        self._gate(account, LimitClass.BATCH, len(body.orders), request)
        checked = self.check_batch(body)
        fault = self._fault_before(request)
        envelope = self.place_checked(account, checked, received_ns_of(request))
        return await self._answer(request, fault, envelope)

    def check_batch(self, body: BatchBody) -> list[tuple[Order, str | None]]:
        """Every order of a decoded batch as a model order with its warning; the first
        bad one answers 400 naming its index, and nothing is placed."""
        return [self._to_order(item, f"orders[{i}]") for i, item in enumerate(body.orders)]

    def place_checked(
        self, account: Account, checked: list[tuple[Order, str | None]], received_ns: int
    ) -> Envelope:
        """Place a checked batch, in order and under one phase, and the envelope that
        answers it."""
        records = self.market.place_batch(account, [order for order, _ in checked], received_ns)
        warnings = [f"orders[{i}]: {w}" for i, (_, w) in enumerate(checked) if w]
        return Envelope(is_success=True, message="; ".join(warnings) or None, data=records)

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        return await self._change(
            request, None, lambda account, no, _: self.market.cancel(account, no)
        )

    async def modify_price(self, request: web.Request) -> web.StreamResponse:
        def act(account: Account, order_no: str, body: ModifyPriceBody) -> OrderResult:
            if (body.price is None) == (body.price_type is None):
                raise _Answered(error_response(400, "give exactly one of price and price_type"))
            if body.price_type is PriceType.LIMIT and body.price is None:
                raise _Answered(error_response(400, "price_type Limit needs a price"))
            try:
                price = price_of(body.price)
            except OrderError as exc:
                raise _Answered(error_response(400, f"invalid body: {exc}")) from None
            return self.market.modify_price(
                account, order_no, price=price, price_type=body.price_type or PriceType.LIMIT
            )

        return await self._change(request, ModifyPriceBody, act)

    async def modify_quantity(self, request: web.Request) -> web.StreamResponse:
        return await self._change(
            request,
            ModifyQuantityBody,
            lambda account, no, body: self.market.modify_quantity(account, no, body.quantity),
        )

    async def _change(
        self,
        request: web.Request,
        kind: type[Any] | None,
        act: Callable[[Account, str, Any], OrderResult],
    ) -> web.StreamResponse:
        raw = await self._receive(request)
        account = account_of(request)
        self._gate(account, LimitClass.ORDER, request=request)
        body = self._decode(request, raw, kind) if kind is not None else None
        order_no = request.match_info["order_no"]
        if not self.market.owns(account, order_no):
            return _not_found(account, order_no)
        fault = self._fault_before(request)
        try:
            record = act(account, order_no, body)
        except Refusal as refusal:
            envelope = Envelope(
                is_success=False, message=refusal.message, data={"status": refusal.status}
            )
        except KeyError:
            return _not_found(account, order_no)  # the day ended while the request waited
        else:
            envelope = Envelope(is_success=True, data=record)
        return await self._answer(request, fault, envelope)

    @staticmethod
    def _to_order(body: PlaceOrderBody, where: str = "") -> tuple[Order, str | None]:
        """The model order and the SDK's user_def warning, if any."""
        user_def, warning = fubon_user_def(body.user_def)
        try:
            return body.to_order(user_def), warning
        except OrderError as exc:
            prefix = f"{where}: " if where else ""
            raise _Answered(error_response(400, f"invalid order: {prefix}{exc}")) from None

    # -- account queries ------------------------------------------------------------------

    async def orders(self, request: web.Request) -> web.StreamResponse:
        account = account_of(request)
        self._gate(account, LimitClass.QUERY, request=request)
        self.market.sync()
        user_def = request.query.get("user_def")
        return json_response(
            Envelope(is_success=True, data=self.market.orders_of(account, user_def))
        )

    async def fills(self, request: web.Request) -> web.StreamResponse:
        account = account_of(request)
        self._gate(account, LimitClass.QUERY, request=request)
        return json_response(Envelope(is_success=True, data=self.market.fills_of(account)))

    # -- streams --------------------------------------------------------------------------

    async def account_stream(self, request: web.Request) -> web.StreamResponse:
        socket = await self._open_socket(request)
        subscriber = Subscriber(socket)
        remove = self.streams.add(account_of(request).account, subscriber)
        refusal = msgspec.json.encode(error_frame("this stream takes no messages"))
        try:
            await self._serve_socket(subscriber, lambda _: subscriber.push(refusal))
        finally:
            remove()
        return socket

    async def market_data(self, request: web.Request) -> web.StreamResponse:
        socket = await self._open_socket(request)
        subscriber = Subscriber(socket)
        try:
            await self._serve_socket(
                subscriber, lambda text: self.feed.command(text, subscriber, self.market.symbols)
            )
        finally:
            self.feed.drop(subscriber)
        return socket

    async def _serve_socket(self, subscriber: Subscriber, on_text: Callable[[str], None]) -> None:
        """Read the client's frames while a writer task sends the subscriber's queue."""
        writer = asyncio.create_task(subscriber.drain())
        try:
            async for message in subscriber.socket:
                if message.type is WSMsgType.TEXT:
                    on_text(message.data)
                elif message.type is WSMsgType.BINARY:
                    subscriber.push(_BINARY_REFUSAL)
        finally:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            self._sockets.discard(subscriber.socket)

    async def _open_socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=30.0, max_msg_size=_MAX_FRAME_BYTES)
        await socket.prepare(request)
        self._sockets.add(socket)
        return socket

    async def _close_sockets(self, app: web.Application) -> None:
        for socket in list(self._sockets):
            await socket.close()

    # -- admin ----------------------------------------------------------------------------

    async def admin_orders(self, request: web.Request) -> web.StreamResponse:
        orders = [
            AdminOrder(
                account=r.account,
                user_def=r.user_def,
                order_no=r.order_no,
                status=r.status,
                received_ns=r.received_ns,
            )
            for r in self.market.all_orders()
            if r.account != HOUSE.account and r.status is not OrderStatus.FAILED
        ]
        return json_response(AdminOrders(orders=orders))

    async def admin_stats(self, request: web.Request) -> web.StreamResponse:
        stats = self.gateway.stats
        return json_response(
            AdminStats(
                requests=stats.requests,
                rate_limited=stats.rate_limited,
                connections_refused=stats.connection_refused,
                requests_held=self.holds.held,
                faults={fault.value: count for fault, count in self.faults.counts.items()},
            )
        )
