"""What the machine did to one core while a benchmark measured on it: the time the host
took from it (a virtual machine's `steal` column in /proc/stat) and the interrupts it
served (/proc/interrupts). A tail figure means little without them: on a shared host the
same code's p99 moves with the neighbours, and these counters say when it did. Linux
only; elsewhere nothing is read and nothing is reported."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CoreCounters", "read_core"]

_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_STEAL_FIELD = 8
"""In a `cpuN` line of /proc/stat: user nice system idle iowait irq softirq steal."""


@dataclass(frozen=True, slots=True)
class CoreCounters:
    steal_ticks: int
    interrupts: int

    def since(self, before: CoreCounters) -> dict[str, float]:
        """`steal_ms` and `interrupts` between `before` and these."""
        stolen = self.steal_ticks - before.steal_ticks
        return {
            "steal_ms": stolen * 1000 / _TICKS_PER_S,
            "interrupts": self.interrupts - before.interrupts,
        }


def read_core(cpu: int, proc: Path = Path("/proc")) -> CoreCounters | None:
    try:
        stat = (proc / "stat").read_text()
        interrupts = (proc / "interrupts").read_text()
    except OSError:
        return None
    steal = next(
        (
            int(line.split()[_STEAL_FIELD])
            for line in stat.splitlines()
            if line.startswith(f"cpu{cpu} ")
        ),
        None,
    )
    if steal is None:
        return None
    return CoreCounters(steal, _interrupts_on(cpu, interrupts))


def _interrupts_on(cpu: int, table: str) -> int:
    """The sum of the core's column: the first line names the columns (`CPU0 CPU1 …`);
    summary lines with fewer columns (`ERR:`) are passed over."""
    lines = table.splitlines()
    column = lines[0].split().index(f"CPU{cpu}") + 1
    total = 0
    for line in lines[1:]:
        fields = line.split()
        if len(fields) > column and fields[column].isdigit():
            total += int(fields[column])
    return total
