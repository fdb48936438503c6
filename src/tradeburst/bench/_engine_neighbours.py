"""What else the machine ran while one of `bench engine`'s overhead runs was measured: the
cores its other processes kept busy and the host's steal, beside the cores this process
(the client) and its children (the exchange) used. On a shared machine a round's ratio
moves with these: a run that met a burst of the neighbours' work is slower whoever ran
it, and these figures say which run of a round met one. From /proc (Linux); elsewhere
nothing is reported."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MachineReading", "read_machine"]

_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class MachineReading:
    """Clock ticks of CPU time so far: the machine's busy time over every core, the
    host's steal, this process's and its children's, at `at_s` (monotonic)."""

    at_s: float
    busy_ticks: int
    steal_ticks: int
    client_ticks: int
    children_ticks: int

    def cores_since(self, before: MachineReading) -> dict[str, float]:
        """Cores kept busy on average between `before` and this reading: by other
        processes (`others`), taken by the host (`steal`), by this process (`client`)
        and by its children (`exchange`)."""
        seconds = max(self.at_s - before.at_s, 1e-9) * _TICKS_PER_S
        client = self.client_ticks - before.client_ticks
        exchange = self.children_ticks - before.children_ticks
        others = self.busy_ticks - before.busy_ticks - client - exchange
        return {
            "others": round(max(others, 0) / seconds, 2),
            "steal": round((self.steal_ticks - before.steal_ticks) / seconds, 2),
            "client": round(client / seconds, 2),
            "exchange": round(exchange / seconds, 2),
        }


def read_machine() -> MachineReading | None:
    """None where /proc cannot be read."""
    try:
        fields = [int(x) for x in (_PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
        client = _process_ticks(os.getpid())
        children = sum(map(_process_ticks, _children(os.getpid())))
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return MachineReading(
        at_s=time.monotonic(),
        busy_ticks=user + nice + system + irq + softirq,
        steal_ticks=steal,
        client_ticks=client,
        children_ticks=children,
    )


def _process_ticks(pid: int) -> int:
    """utime + stime of `pid`, its threads included; 0 if it is gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0
    after_name = text.rsplit(")", 1)[1].split()
    return int(after_name[11]) + int(after_name[12])  # fields 14 and 15 of stat(5)


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        if int(text.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found
