"""The seed-table runner: each approach, run in its own process, sends exactly the orders
it claims, as the exchange's admin API counts them; and its outputs carry every figure.
Sizes are small; nothing here is timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeburst.bench import seed_decision_tree, seed_markdown, write_seed_png
from tradeburst.bench._seed_table import APPROACHES, PREFIXES, count_orders, run_approach

from _support import ADMIN, KEY_A, StartExchange

ORDERS = 7


@pytest.mark.parametrize("approach", APPROACHES)
async def test_each_approach_sends_exactly_the_orders_it_claims(
    start_exchange: StartExchange, approach: str
) -> None:
    """The worker's count, the orders asked for and the exchange's count agree."""
    exchange = await start_exchange()
    result = await run_approach(
        {
            "workload": "io",
            "approach": approach,
            "url": exchange.url,
            "key": KEY_A,
            "prefix": PREFIXES[approach],
            "count": ORDERS,
            "workers": 3,
            "processes": 2,
        }
    )
    assert result["done"] == len(result["times_ms"]) == ORDERS
    assert await count_orders(exchange.url, ADMIN, PREFIXES[approach]) == ORDERS
    assert result["rss_mb"] > 0


@pytest.mark.parametrize("approach", ["sequential", "multiprocessing"])
async def test_cpu_approaches_compute_every_task(approach: str) -> None:
    """Each CPU task is computed once and timed."""
    result = await run_approach(
        {
            "workload": "cpu",
            "approach": approach,
            "count": 3,
            "length": 500,
            "workers": 2,
            "processes": 2,
        }
    )
    assert result["done"] == 3
    assert len(result["times_ms"]) == 3


def test_outputs_carry_every_approach_and_the_pool_figures(tmp_path: Path) -> None:
    """The table names the guide's rows with figures, the tree has a figure on each
    measured branch, and the chart is a PNG."""
    row = {"throughput_per_s": 12.5, "p50_ms": 51.0, "p99_ms": 60.0, "rss_mb": 40.0, "cpu_s": 0.5}
    figures = {
        "io": dict.fromkeys(APPROACHES, row),
        "cpu": dict.fromkeys(APPROACHES, row),
        "pool": {"pooled_ms": 301.0, "unpooled_ms": 402.0},
    }
    table = seed_markdown(figures)
    assert "| **MultiProcessing** | ⭐⭐⭐ 12 orders/s | ⭐⭐⭐⭐⭐ 12.5 tasks/s |" in table
    assert "pooled 301 ms, unpooled 402 ms" in table
    tree = seed_decision_tree(figures, ring_p99_us=3.5)
    assert "busy waiting      [Python busy-poll ring p99 3.5 µs]" in tree
    assert "multiprocessing 12.5 tasks/s, 1.0x sequential" in tree
    png = tmp_path / "chart.png"
    write_seed_png(figures, png)
    assert png.read_bytes().startswith(b"\x89PNG")
