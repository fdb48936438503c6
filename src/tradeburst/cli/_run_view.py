"""What `tradeburst run` shows: the live view, one row per strategy (state, weight, orders
sent and their share, accepted, rejected, unknown) refreshed ten times a second; then the
final table, the totals, what to run next, and the exit code."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.live import Live
from rich.table import Table

from tradeburst.cli._result_view import resume_hint
from tradeburst.report import print_rejections
from tradeburst.strategies import RunResult, Slot, StrategyRunner, stall_lines
from tradeburst.summary import LoopHealth

__all__ = ["StrategiesView", "print_run_outcome", "run_exit_code", "strategies_table"]

_STATE_STYLE = {
    "failed": "red",
    "running": "cyan",
    "done": "green",
    "stopped": "yellow",
    "time up": "yellow",
}


def strategies_table(slots: list[Slot], title: str = "strategies") -> Table:
    table = Table(title=title)
    for column in ("strategy", "kind", "state", "weight", "sent", "share", "✓", "✗", "?"):
        table.add_column(column, justify="left" if column in ("strategy", "state") else "right")
    sent_all = sum(slot.lane.stats.orders for slot in slots) or 1
    for slot in slots:
        counts = slot.counts()
        style = _STATE_STYLE.get(slot.state, "")
        state = f"[{style}]{slot.state}[/]" if style else slot.state
        table.add_row(
            slot.name,
            slot.spec.kind,
            state,
            f"{slot.spec.weight:g}",
            str(slot.lane.stats.orders),
            f"{slot.lane.stats.orders / sent_all:.0%}",
            str(counts.accepted),
            str(counts.rejected),
            str(counts.unknown),
        )
    return table


class StrategiesView:
    def __init__(self, console: Console) -> None:
        self._console = console
        self._live: Live | None = None
        self._runner: StrategyRunner | None = None
        self._ticker: asyncio.Task[None] | None = None

    def __enter__(self) -> StrategiesView:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self._live is not None:
            self.refresh()
            self._live.stop()

    def watch(self, runner: StrategyRunner) -> None:
        self._runner = runner
        for line in runner.waits():
            self._console.print(line)
        self._live = Live(console=self._console, refresh_per_second=10, transient=True)
        self._live.__enter__()
        self.refresh()
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            self.refresh()
            await asyncio.sleep(0.1)

    def refresh(self) -> None:
        if self._live is not None and self._runner is not None:
            self._live.update(strategies_table(self._runner.slots, "running"))


def print_run_outcome(console: Console, result: RunResult, title: str) -> None:
    """The final table, the rejections, each failed or cut-short strategy, the totals and
    what to run next when the run is not finished."""
    console.print(strategies_table(result.slots, title))
    print_rejections(console, result.summary.rejections)
    for slot in result.slots:
        if slot.error:
            console.print(f"[red]{slot.name} failed and was stopped: {slot.error}[/]")
    summary = result.summary
    orders = summary.orders
    refusals = summary.rate_limit_rejections
    console.print(
        f"{_counted(orders.total, 'order')}: {orders.accepted} accepted, "
        f"{orders.rejected} rejected, {orders.unknown} unknown, {orders.not_sent} not sent; "
        f"{_counted(refusals, 'rate-limit refusal')}; "
        f"latency p50 {summary.latency_ms.p50:.1f} ms, p99 {summary.latency_ms.p99:.1f} ms"
    )
    _print_stalls(console, summary.loop)
    for slot in result.slots:
        if slot.time_up:
            console.print(
                f"[yellow]{slot.name}: its duration_s ran out; "
                f"{_counted(slot.counts().not_sent, 'order')} it queued were not sent[/]"
            )
    if result.run_id:
        console.print(f"run: {result.run_id}")
    console.print(f"journal: {result.journal}", emoji=False)
    if orders.unknown or orders.not_sent or result.interrupted:
        console.print(
            f"[yellow]not finished: run `{resume_hint(result.journal, result.run_id)}` "
            "to settle the unknown and send what was not sent[/]"
        )


def _print_stalls(console: Console, loop: LoopHealth | None) -> None:
    if loop is None:
        return
    for line in stall_lines(loop.stalls):
        console.print(f"[red]{line}[/]")
    if loop.stalled_answers:
        console.print(
            f"[red]{_counted(loop.stalled_answers, 'answer')} waited on the held loop: read "
            "late by us, not counted against the broker[/]"
        )


def run_exit_code(result: RunResult) -> int:
    """The engine's exit codes, and 1 when a strategy failed and nothing worse happened."""
    orders = result.summary.orders
    if result.interrupted:
        return 130
    if orders.unknown or orders.not_sent:
        return 4
    if orders.rejected:
        return 3
    if any(slot.state == "failed" for slot in result.slots):
        return 1
    return 0


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
