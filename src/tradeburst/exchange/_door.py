"""The exchange's listening socket, guarded against clients that hold connections
without using them (slowloris): each source address may hold at most so many connections
(more are closed at once), and a new connection must finish its first request's headers
within a time limit (else it is closed). aiohttp bounds the headers of later requests on a
kept-alive connection itself (its keep-alive timeout), and the body read is bounded where
bodies are read (`_body.py`); nothing here reads or changes a byte of the traffic. The guard
is also where each chunk's arrival is noted (`_arrival.py`), before aiohttp parses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tradeburst.exchange._arrival import ArrivalClock, ConnectionArrivals

__all__ = [
    "BODY_TIMEOUT_S",
    "CONNECTIONS_PER_SOURCE",
    "HEADER_TIMEOUT_S",
    "DoorLimits",
    "GuardedSite",
]

HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 10.0
CONNECTIONS_PER_SOURCE = 256
"""Enough for every client of one machine in a rehearsal, far below the fd limit."""

_HEADERS_END = b"\r\n\r\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class DoorLimits:
    header_timeout_s: float = HEADER_TIMEOUT_S
    """Time a new connection has to send its first request's headers."""
    body_timeout_s: float = BODY_TIMEOUT_S
    """Time a request has to send its body once its headers are in."""
    connections_per_source: int = CONNECTIONS_PER_SOURCE

    def __post_init__(self) -> None:
        if not (0 < self.header_timeout_s < 3600 and 0 < self.body_timeout_s < 3600):
            raise ValueError("header and body timeouts must be positive and under an hour")
        if self.connections_per_source < 1:
            raise ValueError("at least one connection per source must be allowed")


class _Door:
    """Counts each source's open connections; shared by every connection's guard."""

    def __init__(self, limits: DoorLimits) -> None:
        self.limits = limits
        self.open: dict[str, int] = {}
        self.refused = 0

    def enter(self, source: str) -> bool:
        held = self.open.get(source, 0)
        if held >= self.limits.connections_per_source:
            self.refused += 1
            return False
        self.open[source] = held + 1
        return True

    def leave(self, source: str) -> None:
        held = self.open[source] - 1
        if held:
            self.open[source] = held
        else:
            del self.open[source]


class _Guard(asyncio.Protocol):
    """Stands in front of aiohttp's protocol for one connection, passing everything on."""

    def __init__(self, inner: asyncio.Protocol, door: _Door, clock: ArrivalClock) -> None:
        self._inner = inner
        self._door = door
        self._arrival_clock = clock
        self.arrivals: ConnectionArrivals | None = None
        self._source: str | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        source = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if not self._door.enter(source):
            transport.abort()
            return
        self._source = source
        self.arrivals = ConnectionArrivals(self._arrival_clock, transport.get_extra_info("socket"))
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._door.limits.header_timeout_s, transport.abort)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.arrivals is not None:
            self.arrivals.chunk()
        if self._timer is not None:
            seen = self._tail + data
            if _HEADERS_END in seen:
                self._timer.cancel()
                self._timer = None
            else:
                self._tail = seen[-3:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._source is None:
            return  # refused at the door: aiohttp never saw it
        if self._timer is not None:
            self._timer.cancel()
        self._door.leave(self._source)
        self._inner.connection_lost(exc)


class GuardedSite(web.BaseSite):
    """A TCP site like aiohttp's `TCPSite`, each connection behind a `_Guard`."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        limits: DoorLimits,
        arrival_clock: ArrivalClock,
    ) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self.door = _Door(limits)
        self._arrival_clock = arrival_clock

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        factory: Callable[[], Any] = server
        door = self.door
        clock = self._arrival_clock
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Guard(factory(), door, clock), self._host, self._port, reuse_address=True
        )
