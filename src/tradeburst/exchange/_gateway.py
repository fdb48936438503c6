"""The broker's front door, as aiohttp middleware: who is calling (bearer key), how many
connections they hold, the network they cross (latency, jitter, connection setup delay)
and the stamps; every error turned into the JSON envelope, a handler's `Answered` answered,
and `before_answer` (the store's commit) awaited before any answer of a handler goes out.
It is the exchange's only middleware: each one more costs every request a layer of calls.

A request is stamped at its arrival on the socket (`_arrival.py`) plus the modelled inbound
trip, the moment it would have reached the broker over that network, whatever the
exchange's own queue did meanwhile: the receive stamp on the session clock (time priority)
and, on the rate windows' clock, the stamp the rate limit counts it by. The request waits
until that moment before it is handled (at once, if the queue took longer).

One account's connections are tracked by transport; a transport that has closed no longer
counts, so a client that reconnects is not locked out by its own past.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from tradeburst.clock import mono_ns
from tradeburst.exchange._accounts import Account, KeyRing
from tradeburst.exchange._api import Answered, error_response
from tradeburst.exchange._arrival import Arrival, ArrivalClock, arrival_of
from tradeburst.exchange._clock import Clock
from tradeburst.exchange._profiles import CONNECTION_LIMIT_MESSAGE

__all__ = [
    "Gateway",
    "NetworkModel",
    "Stats",
    "account_of",
    "arrived_of",
    "received_ns_of",
    "stamp_arrived",
]

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ACCOUNT = "tradeburst.account"
ARRIVED = "tradeburst.arrived"


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkModel:
    """A round trip of `latency_ms` plus up to `jitter_ms` (drawn anew each way), of which
    `inbound_share` is spent on the way in (half by default), and `connect_delay_ms` more
    on a connection's first request."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    connect_delay_ms: float = 0.0
    inbound_share: float = 0.5

    def __post_init__(self) -> None:
        if min(self.latency_ms, self.jitter_ms, self.connect_delay_ms) < 0:
            raise ValueError("latency, jitter and connection delay cannot be negative")
        if not 0.0 <= self.inbound_share <= 1.0:
            raise ValueError("the inbound share of the latency must be between 0 and 1")


@dataclass(slots=True)
class Stats:
    requests: int = 0
    rate_limited: int = 0
    connection_refused: int = 0


class Gateway:
    def __init__(
        self,
        *,
        keys: KeyRing,
        admin_key: str,
        clock: Clock,
        network: NetworkModel,
        connection_limit: int | None,
        rng: random.Random,
        arrival_clock: ArrivalClock | None = None,
    ) -> None:
        """`clock` is the session clock; `arrival_clock` reads it and the rate windows'
        clock at once (by default the session clock is both)."""
        self._keys = keys
        self._admin_key = KeyRing([admin_key])
        self.arrival_clock = arrival_clock or ArrivalClock(clock, clock)
        self._network = network
        self._network_delays = bool(
            network.latency_ms or network.jitter_ms or network.connect_delay_ms
        )
        """False on loopback as configured: no delay to draw or await per request."""
        self._connection_limit = connection_limit
        self._rng = rng
        self._seen: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()
        self._connections: dict[str, weakref.WeakSet[asyncio.BaseTransport]] = {}
        self.stats = Stats()
        self.before_answer: Callable[[], Awaitable[None]] | None = None
        """Awaited once a request's handler is done, before its answer goes out."""

    def account_for(self, key: str) -> Account | None:
        """The account an API key opens, if any (for protocols that carry the key
        elsewhere than the bearer header, such as Fugle's)."""
        return self._keys.account_for(key)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.stats.requests += 1
        arrival = arrival_of(request, self.arrival_clock)
        try:
            if self._network_delays:
                arrival = await self._cross(arrival, self._inbound_ms(request.transport))
            stamp_arrived(request, arrival)
            refusal = self._authorize(request)
            if refusal is not None:
                return refusal
            try:
                response = await handler(request)
            except Answered as answered:
                response = answered.response
            finally:
                if self.before_answer is not None:
                    await self.before_answer()
        except web.HTTPException as exc:
            response = error_response(exc.status, exc.reason)
        if self._network_delays and not isinstance(response, web.WebSocketResponse):
            await self._sleep_ms(self._one_way_ms(1.0 - self._network.inbound_share))
        return response

    async def _cross(self, arrival: Arrival, inbound_ms: float) -> Arrival:
        """`arrival` moved on by the inbound trip, once the trip has passed."""
        trip_ns = round(inbound_ms * 1_000_000)
        landed = self.arrival_clock.later(arrival, trip_ns)
        await self._sleep_ms((landed.mono_ns - mono_ns()) / 1_000_000)
        return landed

    def _inbound_ms(self, transport: asyncio.BaseTransport | None) -> float:
        """One way of the trip, plus the setup delay on a connection's first request."""
        delay_ms = self._one_way_ms(self._network.inbound_share)
        if self._network.connect_delay_ms and transport is not None and transport not in self._seen:
            self._seen.add(transport)
            delay_ms += self._network.connect_delay_ms
        return delay_ms

    def _one_way_ms(self, share: float) -> float:
        network = self._network
        jitter_ms = self._rng.uniform(0, network.jitter_ms) if network.jitter_ms else 0.0
        return (network.latency_ms + jitter_ms) * share

    @staticmethod
    async def _sleep_ms(delay_ms: float) -> None:
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)

    def _authorize(self, request: web.Request) -> web.Response | None:
        path = request.path
        if not path.startswith("/v1/"):
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key:
            return error_response(401, "missing API key: send 'Authorization: Bearer KEY'")
        if path.startswith("/v1/admin/"):
            if self._admin_key.account_for(key) is None:
                return error_response(401, "wrong admin key")
            return None
        account = self._keys.account_for(key)
        if account is None:
            return error_response(401, "wrong API key")
        request[ACCOUNT] = account
        return self._admit_connection(account, request.transport)

    def _admit_connection(
        self, account: Account, transport: asyncio.BaseTransport | None
    ) -> web.Response | None:
        if self._connection_limit is None or transport is None:
            return None
        held = self._connections.setdefault(account.account, weakref.WeakSet())
        if transport in held:
            return None
        for old in list(held):
            if old.is_closing():
                held.discard(old)
        if len(held) >= self._connection_limit:
            self.stats.connection_refused += 1
            return error_response(
                429, CONNECTION_LIMIT_MESSAGE.format(limit=self._connection_limit)
            )
        held.add(transport)
        return None


def account_of(request: web.Request) -> Account:
    account: Account = request[ACCOUNT]
    return account


def arrived_of(request: web.Request) -> Arrival:
    arrived: Arrival = request[ARRIVED]
    return arrived


def received_ns_of(request: web.Request) -> int:
    """When the request reached the broker (session clock): its time priority."""
    return arrived_of(request).session_ns


def stamp_arrived(request: web.Request, arrived: Arrival) -> None:
    """When the request reached the broker, on each clock: its receive stamp (time
    priority) and the stamp its rate limit counts it by."""
    request[ARRIVED] = arrived
