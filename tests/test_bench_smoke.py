"""`bench engine` (and its `--scale`) and `bench rush` run end to end at their smallest
sizes: every figure is there and sane (positive ratios, no failed order). No speed is
asserted; the figures themselves belong to the benchmarks."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tradeburst.bench._scale_worker import _growth_within_run

from _engine_support import run_cli

SMALL_ENGINE = (
    "--efficiency-orders", "10", "--overhead-orders", "20", "--overhead-rounds", "1",
    "--memory-orders", "10", "--memory-latency-ms", "50", "--latency-orders", "10",
)  # fmt: skip
"""The smallest job of each part of `bench engine` that still measures it."""


async def _figures(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "figures.json"
    # A benchmark starts servers and worker processes of its own: under several test
    # workers on two cores it takes minutes, not the minute a command is given.
    run = await run_cli("bench", *args, "--json", str(out), cwd=tmp_path, timeout_s=240)
    assert run.returncode == 0, run.output
    assert "Traceback" not in run.output
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


async def test_bench_engine_at_its_smallest_sizes_writes_every_figure(tmp_path: Path) -> None:
    figures = await _figures(tmp_path, "engine", *SMALL_ENGINE)
    per_size = [
        "efficiency", "guide_pacing_efficiency", "elapsed_s", "guide_pacing_elapsed_s",
        "lower_bound_s", "guide_pacing_lower_bound_s", "bare_same_calls_elapsed_s",
        "efficiency_if_batches_count_orders",
    ]  # fmt: skip
    positive = [
        "overhead_ratio", "engine_orders_per_s", "bare_orders_per_s",
        "rss_mb_10k_in_flight", "rss_mb_threads_10k",
    ]  # fmt: skip
    counts = ["rate_limit_rejections", "guide_pacing_rate_limit_rejections"]
    assert set(figures) >= {*per_size, *positive, *counts, "threads_failed_orders"}
    for key in per_size:
        assert set(figures[key]) == {"10"}, key
        assert figures[key]["10"] > 0, (key, figures[key])
    for key in positive:
        assert figures[key] > 0, (key, figures[key])
    assert len(figures["overhead_ratio_per_round"]) == 1
    assert abs(figures["overhead_ratio_min"] - min(figures["overhead_ratio_per_round"])) < 1e-3
    assert figures["overhead_every_round_meets_goal"] == (figures["overhead_ratio_min"] >= 0.9)
    for key in ("engine_cpu_us_per_order_per_round", "bare_cpu_us_per_order_per_round"):
        assert len(figures[key]) == 1 and figures[key][0] > 0, (key, figures[key])
    (machine,) = figures["overhead_machine_cores_per_round"]  # /proc is read on Linux
    assert set(machine) == {"engine", "bare"}, machine
    for cores in machine.values():
        assert set(cores) == {"others", "steal", "client", "exchange"}
        assert min(cores.values()) >= 0 and cores["client"] > 0, cores
    assert figures["memory_orders"] == 10
    assert figures["threads_failed_orders"] == 0
    assert figures["rate_limit_rejections"] == 0  # the engine's throttle never trips
    assert figures["latency_orders"] == 10
    assert set(figures["latency_efficiency"]) == {"30/5", "80/10"}
    for row in figures["latency_efficiency"].values():
        assert set(row) == {"answer", "broker-stamp"} and all(e > 0 for e in row.values()), row
    assert figures["latency_rate_limit_rejections"] == {"answer": 0, "broker-stamp": 0}


async def test_bench_engine_scale_at_tiny_sizes_writes_every_figure(tmp_path: Path) -> None:
    figures = await _figures(tmp_path, "engine", "--scale", "--scale-sizes", "40,20")
    assert set(figures["sizes"]) == {"20", "40"}
    per_order = [
        "orders_per_s", "rss_baseline_mb", "rss_peak_mb", "rss_growth_bytes_per_order",
        "reading_us_per_order", "validation_us_per_order", "journaling_us_per_order",
        "reading_cpu_us_per_order", "validation_cpu_us_per_order", "journaling_cpu_us_per_order",
        "fire_cpu_us_per_order", "dispatch_cpu_us_per_order", "dispatch_cpu_share",
        "exchange_cpu_us_per_order",
    ]  # fmt: skip
    for size, row in figures["sizes"].items():
        assert row["orders"] == int(size)
        for key in per_order:
            assert math.isfinite(row[key]) and row[key] >= 0, (size, key, row[key])
        assert row["orders_per_s"] > 0 and row["journaling_us_per_order"] > 0, row
        assert row["fire_cpu_us_per_order"] > row["dispatch_cpu_us_per_order"] > 0, row
        assert row["rss_peak_mb"] >= row["rss_baseline_mb"] > 0, row
        assert len(row["load_average"]) == 2, row
        for key in ("engine_cpu_last_fifth_over_first", "exchange_cpu_last_fifth_over_first"):
            assert row[key] is None or row[key] > 0, (key, row)  # None: too short to sample
    across = [
        "orders_per_s_spread", "fire_cpu_per_order_spread", "rss_growth_bytes_per_order_max",
        "fire_cpu_us_per_order_largest_over_smallest",
        "dispatch_cpu_us_per_order_largest_over_smallest",
        "validation_cpu_us_per_order_largest_over_smallest",
        "journaling_cpu_us_per_order_largest_over_smallest",
        "reading_us_per_order_largest_over_smallest",
        "validation_us_per_order_largest_over_smallest",
        "journaling_us_per_order_largest_over_smallest",
    ]  # fmt: skip
    for key in across:
        assert math.isfinite(figures[key]) and figures[key] >= 0, (key, figures[key])


async def test_bench_engine_scale_refuses_bad_sizes_by_name(tmp_path: Path) -> None:
    run = await run_cli("bench", "engine", "--scale", "--scale-sizes", "10,x", cwd=tmp_path)
    assert run.returncode == 2, run.output
    assert "--scale-sizes" in run.output and "Traceback" not in run.output


async def test_bench_rush_of_one_rush_writes_every_figure(tmp_path: Path) -> None:
    figures = await _figures(tmp_path, "rush", "--rushes", "1")
    assert figures["rushes"] == 1
    ways = figures["fire_error_us"]
    assert set(ways) == {"tradeburst", "asyncio_sleep", "time_sleep"}
    for way, row in ways.items():
        assert set(row) == {"p50", "p99", "max"}, way
        assert all(math.isfinite(value) for value in row.values()), (way, row)
        assert row["p50"] <= row["p99"] <= row["max"], (way, row)


def test_bench_engine_scale_growth_compares_the_last_fifth_with_the_first() -> None:
    """CPU per order twice as dear late in the run reads 2; an exchange whose CPU cannot be
    read, and a run too short to sample, read None."""
    samples = [(orders, orders * (1e-6 if orders <= 50 else 2e-6) - 50e-6 * (orders > 50), None)
               for orders in range(0, 101, 10)]  # fmt: skip
    samples.append((100, 1.0, None))  # after the last answer: the run's end, left out
    growth = _growth_within_run(samples)
    assert growth["engine_cpu_last_fifth_over_first"] == pytest.approx(2.0)
    assert growth["exchange_cpu_last_fifth_over_first"] is None
    assert set(_growth_within_run(samples[:1]).values()) == {None}
