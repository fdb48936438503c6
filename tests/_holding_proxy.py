"""A TCP proxy that plays a network delivering late: in front of the exchange, once a given
number of order requests has passed, it stops forwarding on the next few connections that
carry one, without closing them, and delivers what it held (and whatever followed) when
the hold is over, whether or not the client is still there. Then it closes the upstream
side, as a proxy whose client has gone would: the exchange has the bytes, and must act on
them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

ORDER_REQUEST = b"POST /v1/orders"
RELEASED = b""
"""Put in a held connection's buffer when its hold is over."""


class HoldingProxy:
    def __init__(
        self, target: str, *, hold_after_requests: int, held_connections: int, hold_s: float
    ) -> None:
        parts = urlsplit(target)
        assert parts.hostname is not None and parts.port is not None
        self._upstream = (parts.hostname, parts.port)
        self._hold_after = hold_after_requests
        self._held_left = held_connections
        self._hold_s = hold_s
        self._requests = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""
        self.holding = asyncio.Event()
        """Set when the first connection is held."""
        self.delivered = asyncio.Event()
        """Set when every held connection has delivered what it held."""
        self._undelivered = held_connections
        self.held_orders = 0
        """Orders in the requests held (counted by their client order ids)."""

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: asyncio.Future[None] | asyncio.Task[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        upstream_in, upstream_out = await asyncio.open_connection(*self._upstream)
        self._spawn(asyncio.create_task(_pump(upstream_in, client_out)))
        held: list[bytes] = []
        release: asyncio.Task[None] | None = None
        try:
            while data := await client_in.read(65536):
                requests = data.count(ORDER_REQUEST)
                if release is None and requests and self._may_hold():
                    release = asyncio.create_task(self._deliver_later(held, upstream_out))
                    self.holding.set()
                self._requests += requests
                if release is not None and not self._released(held):
                    held.append(data)
                    continue
                upstream_out.write(data)
                await upstream_out.drain()
        except ConnectionError:
            pass
        if release is not None:  # the client may be gone: what was held is delivered
            await release
        upstream_out.close()
        client_out.close()

    @staticmethod
    def _released(held: list[bytes]) -> bool:
        return bool(held) and held[0] is RELEASED

    async def _deliver_later(self, held: list[bytes], upstream_out: asyncio.StreamWriter) -> None:
        await asyncio.sleep(self._hold_s)
        # No await from here to the write: what the client sends next goes after it.
        data = b"".join(held)
        held[:] = [RELEASED]
        self.held_orders += data.count(b'"user_def"')
        with contextlib.suppress(ConnectionError):
            upstream_out.write(data)
            await upstream_out.drain()
        self._undelivered -= 1
        if not self._undelivered:
            self.delivered.set()

    def _may_hold(self) -> bool:
        if self._requests < self._hold_after or not self._held_left:
            return False
        self._held_left -= 1
        return True


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    sink.close()


@contextlib.asynccontextmanager
async def holding_proxy(
    target: str, *, hold_after_requests: int, held_connections: int, hold_s: float
) -> AsyncIterator[HoldingProxy]:
    proxy = HoldingProxy(
        target,
        hold_after_requests=hold_after_requests,
        held_connections=held_connections,
        hold_s=hold_s,
    )
    try:
        await proxy.start()
        yield proxy
    finally:
        await proxy.aclose()
