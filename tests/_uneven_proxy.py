"""A TCP proxy that plays an uneven link: the exchange's clock reads (`GET /v1/time`) reach
it `read_delay_s` late, everything else (orders, every answer) at once, in order on each
connection. A clock offset assumes a read's two ways take as long, so it puts the exchange's
clock half the delay ahead of where it is, and a rush aimed by it lands that much early."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

CLOCK_READ = b"GET /v1/time"


class UnevenProxy:
    def __init__(self, target: str, *, read_delay_s: float) -> None:
        parts = urlsplit(target)
        assert parts.hostname is not None and parts.port is not None
        self._upstream = (parts.hostname, parts.port)
        self._delay_s = read_delay_s
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""

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

    def _spawn(self, work: asyncio.Task[None]) -> None:
        self._tasks.add(work)
        work.add_done_callback(self._tasks.discard)

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        upstream_in, upstream_out = await asyncio.open_connection(*self._upstream)
        self._spawn(asyncio.create_task(_pump(upstream_in, client_out)))
        await self._requests(client_in, upstream_out)

    async def _requests(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """Each chunk the client sends, a clock read held `read_delay_s`; order kept."""
        loop = asyncio.get_running_loop()
        due: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            with contextlib.suppress(ConnectionError):
                while True:
                    at, data = await due.get()
                    await asyncio.sleep(max(0.0, at - loop.time()))
                    if not data:
                        break
                    sink.write(data)
                    await sink.drain()
            sink.close()

        delivering = asyncio.create_task(deliver())
        self._spawn(delivering)
        last_due = 0.0
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                delay_s = self._delay_s if CLOCK_READ in data else 0.0
                last_due = max(last_due, loop.time() + delay_s)
                due.put_nowait((last_due, data))
        due.put_nowait((last_due, b""))
        await asyncio.wait([delivering])  # cancelled by `aclose`: nothing left to do here


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    sink.close()


@contextlib.asynccontextmanager
async def uneven_proxy(target: str, *, read_delay_s: float) -> AsyncIterator[UnevenProxy]:
    proxy = UnevenProxy(target, read_delay_s=read_delay_s)
    try:
        await proxy.start()
        yield proxy
    finally:
        await proxy.aclose()
