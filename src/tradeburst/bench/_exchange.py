"""`tradeburst bench exchange`: how fast the rehearsal exchange matches in-process, how long
it takes over one batch of 30 decoded orders (`batch30_ms`, p50 and p99), and how
many orders per second it serves over HTTP next to a bare aiohttp handler measured in the
same run with the same client loop. Each server runs in its own process so the client and
the server do not share one core; the two are measured in alternate rounds and the ratio
is the median of the rounds' ratios."""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from tradeburst.bench._servers import BENCH_KEY, bare_server, exchange_server, serving
from tradeburst.exchange import (
    BATCH_ORDERS,
    Account,
    Market,
    SessionClock,
    load_symbols,
    time_batches,
)
from tradeburst.model import Order, Side

__all__ = ["run_exchange_bench"]

_WARMUP = 300


def _match_per_s(orders: int) -> float:
    symbols = load_symbols()
    market = Market(symbols, SessionClock(), always_open=True, rng=random.Random(1))
    rng = random.Random(2)
    codes = ["2891", "2330", "2317", "0050"]
    batch = []
    for _ in range(orders):
        symbol = symbols[rng.choice(codes)]
        price = symbol.reference_twd
        for _ in range(rng.randint(0, 4)):
            price = (
                symbol.ladder.step_up(price)
                if rng.random() < 0.5
                else symbol.ladder.step_down(price)
            )
        batch.append(
            Order(
                symbol=symbol.code,
                side=rng.choice((Side.BUY, Side.SELL)),
                quantity=1000 * rng.randint(1, 5),
                price_twd=price,
            )
        )
    account = Account("BENCH")
    started = time.perf_counter()
    for order in batch:
        market.place(account, order, 0)
    return orders / (time.perf_counter() - started)


async def _batch_ms(batches: int) -> dict[str, float]:
    """p50 and p99 of one decoded batch through the exchange's batch path, in-process."""
    took_ms = await time_batches(batches)
    p99 = statistics.quantiles(took_ms, n=100)[98]
    return {"p50": round(statistics.median(took_ms), 3), "p99": round(p99, 3)}


async def _http_per_s(url: str, orders: int, concurrency: int) -> float:
    bodies: list[dict[str, Any]] = [
        {"symbol": "2891", "buy_sell": side, "quantity": 1000, "price": str(Decimal("40.60"))}
        for side in ("Buy", "Sell")
    ]
    headers = {"Authorization": f"Bearer {BENCH_KEY}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(count: int, offset: int) -> None:
            for index in range(count):
                body = bodies[(index + offset) % 2]
                async with session.post(url + "/v1/orders", json=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"benchmark order refused: HTTP {response.status}")

        await asyncio.gather(*(worker(_WARMUP // concurrency, i) for i in range(concurrency)))
        each = orders // concurrency
        started = time.perf_counter()
        await asyncio.gather(*(worker(each, i) for i in range(concurrency)))
        return each * concurrency / (time.perf_counter() - started)


async def run_exchange_bench(*, orders: int, concurrency: int, rounds: int = 3) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "match_per_s": _match_per_s(orders),
        f"batch{BATCH_ORDERS}_ms": await _batch_ms(max(100, orders // 100)),
    }
    with tempfile.TemporaryDirectory() as folder:
        # A file database, as a user would run it: every answer waits for its commit.
        exchange_cmd = exchange_server("none", "--db", str(Path(folder) / "bench.db"))
        async with serving(exchange_cmd) as exchange_url, serving(bare_server()) as bare_url:
            ratios: list[float] = []
            ours: list[float] = []
            bare: list[float] = []
            for index in range(rounds):
                # Alternate which goes first, so a burst of load on this shared machine
                # falls on both sides of the ratio, not always on one.
                pair = [(exchange_url, ours), (bare_url, bare)]
                for url, figures_of in pair if index % 2 == 0 else reversed(pair):
                    figures_of.append(await _http_per_s(url, orders, concurrency))
                ratios.append(ours[-1] / bare[-1])
    figures["http_orders_per_s"] = statistics.median(ours)
    figures["http_bare_per_s"] = statistics.median(bare)
    figures["http_vs_bare_ratio"] = statistics.median(ratios)
    figures["http_vs_bare_ratios"] = [round(ratio, 3) for ratio in ratios]
    figures["orders"] = orders
    figures["concurrency"] = concurrency
    return figures
