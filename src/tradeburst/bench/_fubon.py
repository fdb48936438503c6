"""`tradeburst bench fubon`: what the real `fubon_neo` SDK costs in its worker process,
side by side in one run (`tradeburst.brokers.fubon.idle_cpu` and `order_costs`).

- idle CPU: two processes spawned as the broker spawns its worker, measured over the same
  window; one holds a `FubonSDK` connected to a WebSocket server on 127.0.0.1 that never
  answers (the SDK cannot log in offline; its connection is what keeps it busy), the other
  holds nothing. The SDK's socket thread polls, awake thousands of times a second, whether
  or not anything arrives.
- building the SDK `Order` in the worker beside what the same order costs to cross the
  pipe, median µs per order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSMsgType, web

from tradeburst.brokers import BrokerFatal
from tradeburst.brokers.fubon import idle_cpu, order_costs
from tradeburst.errors import TradeburstError

__all__ = ["FubonBenchError", "run_fubon_bench"]


class FubonBenchError(TradeburstError):
    """The SDK could not be measured (not installed, or its process ended early)."""


async def run_fubon_bench(*, idle_s: float = 10.0, orders: int = 20_000) -> dict[str, Any]:
    """The figures; FubonBenchError when the SDK cannot be measured."""
    try:
        figures: dict[str, Any] = {"order_us": order_costs(orders)}
    except BrokerFatal as exc:  # no fubon_neo
        raise FubonBenchError(str(exc)) from None
    async with _silent_server() as url:
        sdk, bare = await asyncio.gather(
            asyncio.to_thread(idle_cpu, url, idle_s, True),
            asyncio.to_thread(idle_cpu, url, idle_s, False),
        )
    if sdk is None or bare is None:
        raise FubonBenchError("an idle process ended without reporting its CPU")
    figures["idle_cpu_pct_of_a_core"] = {"sdk_worker": sdk, "bare_worker": bare}
    figures["idle_s"] = idle_s
    return figures


@contextlib.asynccontextmanager
async def _silent_server() -> AsyncIterator[str]:
    """A WebSocket server on 127.0.0.1 that accepts and reads, and never answers."""

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if message.type is WSMsgType.ERROR:
                break
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", socket)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"ws://127.0.0.1:{port}/TASP/XCPXWS"
    finally:
        await runner.cleanup()
