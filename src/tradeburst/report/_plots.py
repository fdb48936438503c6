"""The report's pictures, drawn with matplotlib off-screen: the latency CDF of each part of
the trip, the send timeline against the broker's limit, and the per-order comparison of
the broker's time with ours, with its thresholds. Figures are made as `Figure` objects,
never through pyplot, so drawing them neither picks a backend nor touches pyplot's state:
in a notebook, the user's own plots and their inline display are left as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tradeburst.latency import Component
from tradeburst.limits import orders_per_s
from tradeburst.report._figures import RunFigures
from tradeburst.summary import LatencyThresholds

__all__ = ["write_plots"]

_COLOURS = {"realtime": "#2e7d32", "delayed": "#f9a825", "severe": "#c62828"}
_WINDOW_NS = 1_000_000_000


def write_plots(
    figures: RunFigures, folder: Path, thresholds: LatencyThresholds | None = None
) -> list[Path]:
    """Write the three PNGs into `folder` (created if needed); their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        _latency_cdf(figures, folder / "latency_cdf.png"),
        _send_timeline(figures, folder / "send_timeline.png"),
        _time_comparison(figures, folder / "time_comparison.png", thresholds),
    ]
    return written


def _latency_cdf(figures: RunFigures, path: Path) -> Path:
    fig, ax = _figure()
    parts = [*(c.value for c in Component), "total"]
    for part in parts:
        values = sorted(_ms(o.trip.of(Component(part)) if part != "total" else o.trip.total_ns)
                        for o in figures.orders)  # fmt: skip
        if not values:
            continue
        fractions = [(i + 1) / len(values) for i in range(len(values))]
        ax.step(values, fractions, where="post", label=part)
    ax.set_xscale("symlog", linthresh=0.01)
    ax.set_xlabel("ms")
    ax.set_ylabel("fraction of orders")
    ax.set_title(
        f"Latency by part of the trip: run {figures.run.run_id} ({len(figures.orders)} orders)"
    )
    return _saved(fig, ax, path)


def _send_timeline(figures: RunFigures, path: Path) -> Path:
    fig, ax = _figure()
    sends = figures.sends_ns
    if sends:
        start = sends[0][0]
        times_s, in_window = [], []
        window: list[tuple[int, int]] = []
        total = 0
        for stamp, orders in sends:
            window.append((stamp, orders))
            total += orders
            while window[0][0] <= stamp - _WINDOW_NS:
                total -= window.pop(0)[1]
            times_s.append((stamp - start) / 1e9)
            in_window.append(total)
        ax.step(times_s, in_window, where="post", label="orders sent in the last second")
    budget = _orders_per_s(figures)
    if budget is not None:
        ax.axhline(budget, color="#c62828", linestyle="--", label=f"limit: {budget:g} orders/s")
    ax.set_xlabel("s since the first send")
    ax.set_ylabel("orders")
    ax.set_title(f"Sends against the {figures.run.profile} limit")
    return _saved(fig, ax, path)


def _time_comparison(figures: RunFigures, path: Path, thresholds: LatencyThresholds | None) -> Path:
    thresholds = thresholds or LatencyThresholds()
    fig, ax = _figure()
    ordered = sorted(figures.orders, key=lambda o: o.sent_ns)
    for label in ("realtime", "delayed", "severe"):
        points = [(i, o.difference_ms) for i, o in enumerate(ordered) if o.classification == label]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.scatter(xs, ys, s=8, color=_COLOURS[label], label=f"{label} ({len(points)})")
    ax.axhline(thresholds.realtime_ms, color=_COLOURS["delayed"], linestyle=":")
    ax.axhline(thresholds.delayed_ms, color=_COLOURS["severe"], linestyle=":")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("order, in send order")
    ax.set_ylabel("|local time − broker time| (ms)")
    ax.set_title("Broker time against ours, through the clock offset")
    return _saved(fig, ax, path)


def _saved(fig: Any, ax: Any, path: Path) -> Path:
    """Grid, legend (when something has a label) and the file."""
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # an empty run draws no line to name
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def _orders_per_s(figures: RunFigures) -> float | None:
    profile = figures.profile
    if profile is None or not profile.limits:
        return None
    return orders_per_s(profile, int(figures.run.options.get("max_batch") or 1))


def _ms(ns: int) -> float:
    return ns / 1e6


def _figure() -> tuple[Any, Any]:
    """A figure and its axes. matplotlib is loaded on first use: it costs a third of a
    second and tens of MB, which every other command would pay for nothing."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5))
    return fig, fig.subplots()
