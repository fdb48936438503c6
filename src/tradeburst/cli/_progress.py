"""The live view of a run: a rich progress bar with what was sent, accepted, rejected and
is unknown, the send rate over the last second against the broker's limit, and the answer
latency's p50 and p99 so far."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tradeburst.clock import mono_ns
from tradeburst.engine import Dispatcher
from tradeburst.latency import LatencyHistogram
from tradeburst.limits import LimitProfile, orders_per_s

__all__ = ["LiveView", "limit_text"]


def limit_text(profile: LimitProfile, max_batch: int) -> str:
    """The profile's order budget a second: `350/s` for Fubon's 50 single orders and 10
    batches of 30."""
    per_s = orders_per_s(profile, max_batch)
    return "no limit" if per_s is None else f"{per_s:g}/s"


class LiveView:
    def __init__(self, console: Console) -> None:
        self._limit = ""
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            auto_refresh=False,  # drawn by refresh(), which keeps still around a rush's target
            transient=False,
        )
        self._task = self._progress.add_task("settled", total=1, detail="", start=False)
        self._dispatcher: Dispatcher | None = None
        self._trips = LatencyHistogram()
        self._trips_seen = 0
        """Round trips so far, recorded from the dispatcher's list at each refresh: the
        histogram's cost stays here, off the path of each answer."""

    def __enter__(self) -> LiveView:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._dispatcher is not None:
            self.refresh()
            self._progress.stop()

    def watch(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher
        self._progress.console.print(f"journal: {dispatcher.journal_location}", emoji=False)
        if dispatcher.run_id:  # printed now: a shared journal's run is resumed by its id
            self._progress.console.print(f"run: {dispatcher.run_id}")
        self._progress.__enter__()  # shown from the first send, not while checking
        self._limit = limit_text(dispatcher.profile, dispatcher.max_batch)
        self._progress.update(self._task, total=dispatcher.stats.total)
        self._progress.start_task(self._task)
        self.refresh()

    def refresh(self) -> None:
        dispatcher = self._dispatcher
        if dispatcher is None or dispatcher.in_opening:
            return
        stats = dispatcher.stats
        horizon = mono_ns() - 1_000_000_000
        recent = sum(size for t, size in stats.sends[-400:] if t > horizon)
        trips = self._trips
        for trip_ns in stats.latencies_ns[self._trips_seen :]:
            trips.record_ns(trip_ns)
        self._trips_seen = len(stats.latencies_ns)
        detail = (
            f"sent {stats.sent} [green]✓{stats.accepted}[/] [red]✗{stats.rejected}[/] "
            f"[yellow]?{stats.unknown}[/] · {recent}/s of {self._limit} · "
            f"p50 {trips.percentile_ms(50):.1f} p99 {trips.percentile_ms(99):.1f} ms · "
            f"429s {stats.rate_limit_rejections}"
        )
        self._progress.update(self._task, completed=stats.accepted + stats.rejected, detail=detail)
        self._progress.refresh()
