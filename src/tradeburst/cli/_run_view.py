"""The live view of `tradeburst run`: one row per strategy (state, weight, orders sent and
their share, accepted, rejected, unknown), refreshed ten times a second."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.live import Live
from rich.table import Table

from tradeburst.strategies import Slot, StrategyRunner

__all__ = ["StrategiesView", "strategies_table"]

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
