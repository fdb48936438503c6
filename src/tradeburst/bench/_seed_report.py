"""What `bench seed-table` writes: the usual table of concurrency approaches in its own
shape with the measured figure beside each star rating, the full measured table, a PNG
chart, and the decision tree that goes with it, with the measured figure beside each
branch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["decision_tree", "markdown", "write_png"]

_GUIDE_ROWS = (
    # (the table's row, approach, I/O stars, CPU stars, memory stars, complexity, use)
    ("**async + non-blocking API**", "asyncio_pooled", 5, 2, 5, "⭐⭐⭐", "**最佳選擇**"),
    ("**async + run_in_executor**", "run_in_executor", 4, 2, 3, "⭐⭐⭐⭐", "混合 blocking API"),
    ("**ThreadPoolExecutor**", "threads", 4, 2, 3, "⭐⭐", "簡單平行處理"),
    ("**MultiProcessing**", "multiprocessing", 3, 5, 2, "⭐⭐", "CPU 密集型任務"),
)
_LABELS = {
    "sequential": "sequential",
    "threads": "threads",
    "asyncio_pooled": "asyncio pooled",
    "asyncio_multi_session": "asyncio 5 sessions",
    "run_in_executor": "run_in_executor",
    "multiprocessing": "multiprocessing",
}


def markdown(figures: dict[str, Any]) -> str:
    io, cpu, pool = figures["io"], figures["cpu"], figures["pool"]
    lines = [
        "| 方案 | I/O 密集型 | CPU 密集型 | 記憶體使用 | 複雜度 | 適用場景 |",
        "|------|------------|------------|------------|--------|----------|",
    ]
    for label, name, io_stars, cpu_stars, mem_stars, complexity, use in _GUIDE_ROWS:
        lines.append(
            f"| {label} | {'⭐' * io_stars} {io[name]['throughput_per_s']:,.0f} orders/s"
            f" | {'⭐' * cpu_stars} {cpu[name]['throughput_per_s']:,.1f} tasks/s"
            f" | {'⭐' * mem_stars} {io[name]['rss_mb']:,.0f} MB | {complexity} | {use} |"
        )
    lines += [
        "",
        "| workload | approach | throughput/s | p50 ms | p99 ms | peak RSS MB | CPU s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for workload in ("io", "cpu"):
        for name, row in figures[workload].items():
            lines.append(
                f"| {workload} | {name} | {row['throughput_per_s']:,.1f} | {row['p50_ms']:,.1f}"
                f" | {row['p99_ms']:,.1f} | {row['rss_mb']:,.0f} | {row['cpu_s']:,.2f} |"
            )
    lines += [
        "",
        f"Pooled against unpooled, two orders in a row (100 ms per request, 100 ms to set up "
        f"a connection; expected: 300 ms against 400 ms): pooled {pool['pooled_ms']:,.0f} ms, "
        f"unpooled {pool['unpooled_ms']:,.0f} ms.",
    ]
    return "\n".join(lines) + "\n"


def decision_tree(figures: dict[str, Any], ring_p99_us: float | None = None) -> str:
    io, cpu, pool = figures["io"], figures["cpu"], figures["pool"]

    def rate(table: dict[str, Any], name: str, unit: str) -> str:
        return f"{name} {table[name]['throughput_per_s']:,.1f} {unit}/s"

    hot = (
        f"Python busy-poll ring p99 {ring_p99_us:,.1f} µs"
        if ring_p99_us is not None
        else "see `tradeburst bench hotpath`"
    )
    mp_gain = cpu["multiprocessing"]["throughput_per_s"] / cpu["sequential"]["throughput_per_s"]
    th_gain = cpu["threads"]["throughput_per_s"] / cpu["sequential"]["throughput_per_s"]
    return "\n".join(
        [
            "是否為 I/O 密集型？",
            "├─ 是",
            "│  ├─ 延遲要求 < 10μs？",
            f"│  │  ├─ 是 → C++ 同步 + busy waiting      [{hot}]",
            f"│  │  └─ 否 → async + aiohttp              [{rate(io, 'asyncio_pooled', 'orders')},"
            f" p99 {io['asyncio_pooled']['p99_ms']:,.0f} ms]",
            "│  └─ 大量並行需求？",
            f"│     ├─ 是 → async + connector            [pooled {pool['pooled_ms']:,.0f} ms vs"
            f" unpooled {pool['unpooled_ms']:,.0f} ms;"
            f" {rate(io, 'asyncio_multi_session', 'orders')}]",
            f"│     └─ 否 → 簡單同步                     [{rate(io, 'sequential', 'orders')}]",
            "└─ 否（CPU 密集型）",
            "   ├─ 需要並行？",
            f"   │  ├─ 是 → multiprocessing             [{rate(cpu, 'multiprocessing', 'tasks')},"
            f" {mp_gain:,.1f}x sequential]",
            f"   │  └─ 否 → 單執行緒                    [{rate(cpu, 'sequential', 'tasks')};"
            f" threads {th_gain:,.1f}x (the GIL)]",
            "   └─ 極致性能？ → C++ + SIMD              [not measured: no C++ here]",
        ]
    )


def write_png(figures: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(figures["io"])
    labels = [_LABELS[n] for n in names]
    panels = (
        ("I/O: orders/s", [figures["io"][n]["throughput_per_s"] for n in names]),
        ("I/O: p99 ms", [figures["io"][n]["p99_ms"] for n in names]),
        ("CPU: tasks/s", [figures["cpu"][n]["throughput_per_s"] for n in names]),
        ("I/O: peak RSS MB", [figures["io"][n]["rss_mb"] for n in names]),
    )
    figure, axes = plt.subplots(2, 2, figsize=(11, 7))
    for axis, (title, values) in zip(axes.flat, panels, strict=True):
        axis.barh(labels, values, color="#4c72b0")
        axis.set_title(title)
        axis.invert_yaxis()
        for y, value in enumerate(values):
            axis.text(value, y, f" {value:,.1f}", va="center", fontsize=8)
    pool = figures["pool"]
    figure.suptitle(
        "The concurrency table, measured "
        f"(pooled {pool['pooled_ms']:,.0f} ms vs unpooled {pool['unpooled_ms']:,.0f} ms)"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
