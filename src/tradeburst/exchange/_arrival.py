"""When a request reached the exchange: the first chunk of its bytes on the socket, as a
real broker's gateway stamps at ingress, rather than when its handler got to run. At a
rush's opening the handlers queue behind each other (and behind the 09:00 auction); a
stamp read in the handler would measure that queue, not the network.

Each connection has a `ConnectionArrivals`, fed by the socket's `data_received` (the door's
guard) and claimed by the gateway when a request's handling begins. A request's arrival is
the first chunk received once the previous request on that connection was claimed and its
body read to its end; clients do not pipeline, and a request that was already queued behind
another (one that does) gets the latest chunk received before its claim, the one that
brought its bytes. A request on a socket without a guard is stamped when claimed.

A chunk is read when the event loop gets to its socket, which is late by whatever kept the
loop busy meanwhile (the 09:00 auction, a batch of orders before it). Where the kernel says
how long the socket's last bytes have waited (`_platform.bytes_waited_ns`, Linux: never
more, and less by under two kernel ticks), the arrival is moved back by that: never
earlier than the bytes came; and never before the connection's previous read, which those
bytes followed.

An `Arrival` holds one instant on each clock that needs it: the machine's monotonic clock
(how long the request has waited), the session clock (time priority, records) and the rate
windows' clock (`Exchange.broker_clock`), all read at once.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from aiohttp import web

from tradeburst._platform import bytes_waited_ns
from tradeburst.clock import mono_ns
from tradeburst.exchange._clock import Clock

__all__ = ["Arrival", "ArrivalClock", "ConnectionArrivals", "arrival_of"]


class Arrival(NamedTuple):  # a tuple: one is made for every chunk received
    mono_ns: int
    """The machine's monotonic clock (`tradeburst.clock.mono_ns`)."""
    session_ns: int
    """The exchange's session clock: the receive stamp, time priority."""
    rate_ns: int
    """The clock the rate windows count on: the stamp a request is counted by."""


class ArrivalClock:
    """Reads the clocks an `Arrival` holds, and moves an arrival on by real time."""

    def __init__(self, session: Clock, rate: Clock) -> None:
        self._session = session
        self._rate = rate

    def now(self) -> Arrival:
        session_ns = self._session.now_ns()
        rate_ns = session_ns if self._rate is self._session else self._rate.now_ns()
        return Arrival(mono_ns(), session_ns, rate_ns)

    def later(self, arrival: Arrival, real_ns: int) -> Arrival:
        """`arrival` moved on by `real_ns` of real time, on each clock at its own speed."""
        return Arrival(
            arrival.mono_ns + real_ns,
            arrival.session_ns + self._session.moved_in_ns(real_ns),
            arrival.rate_ns + self._rate.moved_in_ns(real_ns),
        )


class _Body(Protocol):
    def is_eof(self) -> bool: ...


class ConnectionArrivals:
    """One connection's arrivals: `chunk` for every chunk received, `claim` once per
    request as its handling begins."""

    __slots__ = ("_body", "_clock", "_latest", "_opening", "_read", "_socket")

    def __init__(self, clock: ArrivalClock, sock: Any = None) -> None:
        """`sock` is the connection's socket, to ask the kernel when its bytes came."""
        self._clock = clock
        self._socket = sock
        self._opening: Arrival | None = None
        """The first chunk received since the last claim, once that request's body ended."""
        self._latest: Arrival | None = None
        self._read: Arrival | None = None
        """When the previous chunk was read: the bytes read now came after it."""
        self._body: _Body | None = None
        """The body of the request claimed last; chunks before its end are its own."""

    def chunk(self) -> None:
        """A chunk came in (call before it is parsed, so the claimed body is not yet fed)."""
        read = self._clock.now()
        self._latest = arrival = self._came(read)
        self._read = read
        if self._opening is None and (self._body is None or self._body.is_eof()):
            self._opening = arrival

    def _came(self, read: Arrival) -> Arrival:
        """When the chunk read at `read` reached the socket, as near as the kernel says."""
        waited_ns = bytes_waited_ns(self._socket) if self._socket is not None else None
        if not waited_ns:
            return read
        came = self._clock.later(read, -waited_ns)
        previous = self._read
        return previous if previous is not None and came.mono_ns < previous.mono_ns else came

    def claim(self, body: _Body) -> Arrival:
        """The arrival of the request whose handling begins now, with `body` its body."""
        arrival = self._opening or self._latest or self._clock.now()
        self._opening = None
        self._body = body
        return arrival


def arrival_of(request: web.Request, clock: ArrivalClock) -> Arrival:
    """Claim `request`'s arrival from its connection; now, if its socket keeps none."""
    transport = request.transport
    protocol: object = transport.get_protocol() if transport is not None else None
    arrivals = getattr(protocol, "arrivals", None)
    if isinstance(arrivals, ConnectionArrivals):
        return arrivals.claim(request.content)
    return clock.now()
