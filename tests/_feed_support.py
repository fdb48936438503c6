"""A WebSocket proxy in front of the real exchange's market-data stream, so a test can cut
the connection mid-stream (the client sees its socket die, as when a network drops) and
keep it down for a while. Real sockets on 127.0.0.1 both sides; nothing is simulated."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web


class CuttingProxy:
    """Forwards `/v1/marketdata` frames both ways; `cut()` aborts every live connection,
    and while `down` is set new ones are refused (HTTP 503)."""

    def __init__(self, target: str) -> None:
        self._target = target.rstrip("/")
        self.down = False
        self.connections = 0
        self._live: dict[int, web.Request] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        self._client = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_get("/v1/marketdata", self._forward)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def aclose(self) -> None:
        self.cut()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    def cut(self) -> None:
        for request in list(self._live.values()):
            if request.transport is not None:
                request.transport.abort()
        self._live.clear()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if self.down:
            return web.Response(status=503, text="down")
        assert self._client is not None
        headers = {"Authorization": request.headers.get("Authorization", "")}
        upstream = await self._client.ws_connect(self._target + "/v1/marketdata", headers=headers)
        downstream = web.WebSocketResponse()
        await downstream.prepare(request)
        self.connections += 1
        self._live[id(request)] = request

        async def up() -> None:
            async for message in downstream:
                if message.type is aiohttp.WSMsgType.TEXT:
                    await upstream.send_str(message.data)

        pump = asyncio.create_task(up())
        try:
            async for message in upstream:
                if message.type is not aiohttp.WSMsgType.TEXT or downstream.closed:
                    break
                await downstream.send_str(message.data)
        except (ConnectionResetError, aiohttp.ClientError):
            pass
        finally:
            pump.cancel()
            with contextlib.suppress(BaseException):
                await pump
            await upstream.close()
            self._live.pop(id(request), None)
        return downstream


@contextlib.asynccontextmanager
async def cutting_proxy(target: str) -> AsyncIterator[CuttingProxy]:
    proxy = CuttingProxy(target)
    try:
        await proxy.start()
        yield proxy
    finally:
        await proxy.aclose()
