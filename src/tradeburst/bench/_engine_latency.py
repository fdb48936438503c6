"""`bench engine`'s efficiency at real network latency: the Fubon profile's job against an
exchange that adds a round trip (`--latency-ms 30 --jitter-ms 5`, then `80/10`), sent with
each slot released from its answer and from the exchange's receive stamp (`--release`),
the two runs side by side on one exchange. Released from the answer, each window costs
one round trip more; released from the stamp, about the jitter."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tradeburst.bench._servers import exchange_server, serving
from tradeburst.engine import Release

__all__ = ["LATENCIES", "latency_efficiency"]

LATENCIES = ((30, 5), (80, 10))
"""(latency, jitter) in ms: a colocated client, and one across the island."""
WINDOWS_EMPTY_S = 1.2
"""Between runs: the previous run's windows empty."""


OrdersFile = Callable[[str, int, Path, str], Awaitable[Path]]
"""(url, count, folder, name): a file of `count` sample orders priced for that exchange."""
FireBench = Callable[..., Awaitable[Any]]
"""(url, orders file, folder, **FireOptions fields): one run's `FireResult`."""


async def latency_efficiency(
    folder: Path, orders: int, orders_file: OrdersFile, fire_bench: FireBench
) -> dict[str, Any]:
    """Efficiency and rate refusals per latency and release rule; the bound of each run
    counts its own round trip, so a longer trip does not flatter either."""
    efficiency: dict[str, dict[str, float | None]] = {}
    refusals = {rule.value: 0 for rule in Release}
    for latency_ms, jitter_ms in LATENCIES:
        network = ("--latency-ms", str(latency_ms), "--jitter-ms", str(jitter_ms))
        row: dict[str, float | None] = {}
        async with serving(exchange_server("fubon", *network)) as url:
            path = await orders_file(url, orders, folder, f"lat{latency_ms}")
            for rule in Release:
                await asyncio.sleep(WINDOWS_EMPTY_S)
                result = await fire_bench(url, path, folder, release=rule)
                row[rule.value] = result.summary.timing.efficiency
                refusals[rule.value] += result.summary.rate_limit_rejections
        efficiency[f"{latency_ms}/{jitter_ms}"] = row
    return {
        "latency_orders": orders,
        "latency_efficiency": efficiency,
        "latency_rate_limit_rejections": refusals,
    }
