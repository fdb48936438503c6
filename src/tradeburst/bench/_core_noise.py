"""What the machine did to one core while a benchmark measured on it: the time the host
took from it (a virtual machine's `steal` column in /proc/stat) and the interrupts it
served (/proc/interrupts), with how long that was. A tail figure means little without
them: on a shared host the same code's p99 moves with the neighbours, and these counters
say when it did. Linux only; where they cannot be read, nothing is reported."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CoreCounters", "read_core"]

_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_STEAL_FIELD = 8
"""In a `cpuN` line of /proc/stat: user nice system idle iowait irq softirq steal."""


@dataclass(frozen=True, slots=True)
class CoreCounters:
    """One reading of a core's counters, and when it was taken (monotonic ns)."""

    steal_ticks: int
    interrupts: int
    at_ns: int = 0

    def since(self, before: CoreCounters) -> dict[str, float]:
        """`seconds`, `steal_ms` and `interrupts` between `before` and this reading."""
        stolen = self.steal_ticks - before.steal_ticks
        return {
            "seconds": (self.at_ns - before.at_ns) / 1e9,
            "steal_ms": stolen * 1000 / _TICKS_PER_S,
            "interrupts": self.interrupts - before.interrupts,
        }


def read_core(cpu: int, proc: Path = Path("/proc")) -> CoreCounters | None:
    """The core's counters now, or None where /proc does not have them."""
    at_ns = time.monotonic_ns()
    try:
        stat = (proc / "stat").read_text()
        table = (proc / "interrupts").read_text()
    except OSError:
        return None
    steal = next(
        (
            int(line.split()[_STEAL_FIELD])
            for line in stat.splitlines()
            if line.startswith(f"cpu{cpu} ") and len(line.split()) > _STEAL_FIELD
        ),
        None,
    )
    interrupts = _interrupts_on(cpu, table)
    if steal is None or interrupts is None:
        return None
    return CoreCounters(steal, interrupts, at_ns)


def _interrupts_on(cpu: int, table: str) -> int | None:
    """The sum of the core's column. The first line names the columns (`CPU0 CPU1 …`);
    lines without a count for every core (the machine-wide `ERR:` and `MIS:`) are not
    the core's and are passed over."""
    lines = table.splitlines()
    if not lines:
        return None
    cores = lines[0].split()
    if f"CPU{cpu}" not in cores:
        return None
    column = cores.index(f"CPU{cpu}") + 1
    total = 0
    for line in lines[1:]:
        fields = line.split()
        counts = fields[1 : len(cores) + 1]
        per_core = len(counts) == len(cores) and all(count.isdigit() for count in counts)
        if per_core and fields[0].endswith(":"):
            total += int(fields[column])
    return total
