"""The steps every order action of the API takes, shared by its routes, and the state
they need (the market, the store, the gateway, the rate gates, the faults and holds).

Broker behaviour comes in this order for an order action: the body is read to its end
(even if the client has left since: bytes that arrived are a request), the late fault's
hold, the profile's rate limit (429, nothing counted against the market), the body's
checks (400), then the seeded fault, then the market. An ambiguous fault lets the market
act and the store commit before the answer is lost, which is what makes it ambiguous to
the client. An answer whose client has gone is dropped by aiohttp, as it would be in
life. A request is counted by its rate limit at its arrival stamp (`_gateway.py`), moved to
the end of the late fault's hold if it was held, and an order action's answer carries that
stamp (`counted_ns`). A step that must answer at once raises `Answered`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from tradeburst.exchange._accounts import Account
from tradeburst.exchange._api import Answered, error_response, json_response
from tradeburst.exchange._body import BodyError, decode_body, read_body
from tradeburst.exchange._clock import Clock
from tradeburst.exchange._faults import Fault, FaultInjector
from tradeburst.exchange._gateway import Gateway, arrived_of, stamp_arrived
from tradeburst.exchange._holds import Holds
from tradeburst.exchange._market import Market
from tradeburst.exchange._profiles import CountedStamps, LimitClass, LimitProfile, RateGate
from tradeburst.exchange._store import Store
from tradeburst.exchange._streams import AccountStreams, MarketDataFeed
from tradeburst.rules import from_cents
from tradeburst.wire import BookLevel, BookSnapshot, CountedEnvelope, Envelope

__all__ = ["RequestSteps"]

T = TypeVar("T")

_COUNTED_NS = "tradeburst.counted_ns"
"""Where a request keeps the stamp its rate limit counted it by, for its answer."""


class RequestSteps:
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
        # Whatever a request changed (an order, or an auction its lazy phase change ran)
        # is stored before its answer goes out.
        gateway.before_answer = store.committed
        self._sockets: set[web.WebSocketResponse] = set()

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
            raise Answered(error_response(429, refusal))
        if request is not None:
            request[_COUNTED_NS] = counted_ns

    async def _receive(self, request: web.Request) -> bytes:
        """The body of an order action once the broker has it: read whole, then held
        if the late fault strikes, and stamped as arrived when the hold ends."""
        try:
            raw = await read_body(request, self._body_timeout_s)
        except web.RequestPayloadError as exc:  # e.g. a Content-Encoding it is not in
            raise Answered(error_response(400, f"invalid body: {exc}")) from None
        if raw is None:  # the client left, or stalled, before its body was whole: no request
            raise Answered(self._abort(request))
        if self.faults.late():
            landed = await self.holds.hold_until_landed(
                self.faults.rates.late_ms / 1000, self.gateway.arrival_clock.now
            )
            if landed is None:
                raise Answered(self._abort(request))  # stopping: it never reached the market
            stamp_arrived(request, landed)
        return raw

    @staticmethod
    def _decode(request: web.Request, raw: bytes, kind: type[T]) -> T:
        try:
            return decode_body(raw, request.headers.get("Content-Type"), kind)
        except BodyError as exc:
            raise Answered(error_response(exc.status, str(exc))) from None

    def _fault_before(self, request: web.Request) -> Fault | None:
        """Draw the fault; the ones that strike before the market acts answer at once."""
        fault = self.faults.draw()
        if fault is Fault.ERROR:
            raise Answered(
                error_response(
                    503, "injected fault: the broker failed before accepting; nothing placed"
                )
            )
        if fault is Fault.RESET:
            raise Answered(self._abort(request))
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
        if isinstance(envelope, CountedEnvelope):
            envelope.counted_ns = (
                None if counted_ns is None or report is None else report.report(counted_ns)
            )
            return envelope
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
