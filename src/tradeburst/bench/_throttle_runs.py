"""Several bots on one account, with and without the shared throttle, side by side: each
bot a `tradeburst rush` process, all of them rushing at one moment of a `--profile fubon`
exchange process (so slow process starts do not spread them out), first each with its own
throttle (today's behaviour without `--throttle`), then sharing one on Redis; and one
process sending all their orders alone. Each is read from the exchange: its refusals and
how long after the target its last order was received."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from tradeburst.clock import epoch_ns, exchange_datetime
from tradeburst.model import Order, Side
from tradeburst.testing import write_orders

__all__ = ["measure_bots"]

KEY, ADMIN = "bench-key", "bench-admin"
LEAD_S = 30.0
"""The rush target this long after the exchange is up: every bot is ready by then."""
RUN_TIMEOUT_S = 180.0
LISTENING = re.compile(r"listening on (http://\S+)")
ORDER = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"))


async def measure_bots(
    folder: Path, redis_url: str, bots: int, orders: int, concurrency: int
) -> dict[str, Any]:
    figures: dict[str, Any] = {"bots": bots, "orders_per_bot": orders}
    for mode, count, each, throttle in (
        ("separate", bots, orders, None),
        ("shared", bots, orders, redis_url),
        ("alone", 1, bots * orders, None),
    ):
        result = await _one_mode(folder / mode, count, each, concurrency, throttle)
        for name, value in result.items():
            figures[f"{mode}_{name}"] = value
    figures["shared_over_alone"] = round(figures["shared_span_s"] / figures["alone_span_s"], 2)
    return figures


async def _one_mode(
    folder: Path, count: int, each: int, concurrency: int, throttle: str | None
) -> dict[str, Any]:
    _make(folder)
    async with _exchange(folder) as url, aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {KEY}"}
        async with session.get(url + "/v1/time", headers=headers) as answer:
            now_ns = int((await answer.json())["exchange_time_ns"])
        target = exchange_datetime(now_ns) + timedelta(seconds=LEAD_S)
        bots = []
        for i in range(count):
            source = write_orders(folder / f"orders{i}.csv", [ORDER] * each)
            args = [sys.executable, "-m", "tradeburst", "rush", str(source), "--at",
                    target.time().isoformat(), "--url", url, "--api-key", KEY,
                    "--journal", str(folder / f"run{i}.sqlite"),
                    "--concurrency", str(concurrency),
                    *(("--throttle", throttle) if throttle else ())]  # fmt: skip
            with (folder / f"bot{i}.out").open("wb") as out:
                bots.append(await asyncio.create_subprocess_exec(*args, stdout=out, stderr=out))
        async with asyncio.timeout(RUN_TIMEOUT_S):
            codes = [await bot.wait() for bot in bots]
        admin = {"Authorization": f"Bearer {ADMIN}"}
        async with session.get(url + "/v1/admin/stats", headers=admin) as answer:
            stats = await answer.json()
        async with session.get(url + "/v1/admin/orders", headers=admin) as answer:
            placed = (await answer.json())["orders"]
    last_ns = max((o["received_ns"] for o in placed), default=epoch_ns(target))
    return {
        "exit_codes": codes,
        "failures": [_last_line(folder / f"bot{i}.out") for i, code in enumerate(codes) if code],
        "placed": len(placed),
        "rate_refusals": stats["rate_limited"],
        "connections_refused": stats["connections_refused"],
        "span_s": round((last_ns - epoch_ns(target)) / 1e9, 3),
    }


def _last_line(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines()
    return lines[-1][:200] if lines else ""


def _make(folder: Path) -> None:
    folder.mkdir(parents=True)


@contextlib.asynccontextmanager
async def _exchange(folder: Path) -> AsyncIterator[str]:
    """A `--profile fubon` exchange process; its URL."""
    with (folder / "exchange.err").open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tradeburst", "exchange", "--port", "0", "--api-key", KEY,
            "--admin-key", ADMIN, "--profile", "fubon", "--no-liquidity", "--clock", "09:30:00",
            stdout=subprocess.PIPE, stderr=err,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        match = LISTENING.search(line)
        if match is None:
            raise RuntimeError(f"the exchange did not start: {line!r}")
        yield match.group(1)
    finally:
        process.kill()
        await process.wait()
