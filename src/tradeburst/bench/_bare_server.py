"""A bare aiohttp handler, the reference the exchange's HTTP throughput is measured against:
it reads the body and answers a fixed order result of the same size, nothing else.
Run as `python -m tradeburst.bench._bare_server`; it prints its URL."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from tradeburst._platform import run_loop

_ANSWER = json.dumps(
    {
        "is_success": True,
        "message": None,
        "data": {"status": 10, "order_no": "00001", "seq_no": "00000000001", "padding": "x" * 560},
    }
).encode()


async def _order(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=_ANSWER, content_type="application/json")


async def _serve() -> None:
    app = web.Application()
    app.router.add_post("/v1/orders", _order)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    print(f"listening on http://{host}:{port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    run_loop(_serve())
