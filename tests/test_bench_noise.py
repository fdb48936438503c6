"""What the host took from a core while a benchmark measured: read from /proc-shaped
files, per core, and as a difference between two readings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tradeburst.bench._core_noise import CoreCounters, read_core

STAT = """cpu  1005445 0 99005 3020638 3957 0 5837 499 0 0
cpu0 400099 0 42787 1619784 735 0 2576 248 0 0
cpu1 605346 0 56218 1400854 3222 0 3260 251 0 0
intr 123 4 5
"""

INTERRUPTS = """           CPU0       CPU1
 24:          1          0  IO-APIC   5-edge      ACPI:Ged
 36:          0     584050 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0
LOC:    2917130    2385260   Local timer interrupts
ERR:          7
MIS:          3
"""


def proc_with(tmp_path: Path, stat: str, interrupts: str) -> Path:
    (tmp_path / "stat").write_text(stat)
    (tmp_path / "interrupts").write_text(interrupts)
    return tmp_path


def test_each_core_reads_its_own_steal_and_interrupt_column(tmp_path: Path) -> None:
    """The machine-wide ERR and MIS counts belong to no core and are left out."""
    proc = proc_with(tmp_path, STAT, INTERRUPTS)
    core0, core1 = read_core(0, proc), read_core(1, proc)
    assert core0 is not None and core1 is not None
    assert (core0.steal_ticks, core0.interrupts) == (248, 1 + 2917130)
    assert (core1.steal_ticks, core1.interrupts) == (251, 584050 + 2385260)


def test_a_core_or_a_proc_that_is_not_there_reads_as_nothing(tmp_path: Path) -> None:
    assert read_core(2, proc_with(tmp_path, STAT, INTERRUPTS)) is None
    assert read_core(0, tmp_path / "absent") is None


@pytest.mark.parametrize(
    ("stat", "interrupts"),
    [(STAT, ""), (STAT, "           CPU1\n LOC:  5\n"), ("cpu0 1 2\n", INTERRUPTS)],
    ids=["empty interrupts", "no column for the core", "short stat line"],
)
def test_files_of_another_shape_read_as_nothing(tmp_path: Path, stat: str, interrupts: str) -> None:
    assert read_core(0, proc_with(tmp_path, stat, interrupts)) is None


def test_the_difference_is_in_seconds_milliseconds_and_interrupts() -> None:
    ticks_per_s = os.sysconf("SC_CLK_TCK")
    before = CoreCounters(steal_ticks=100, interrupts=5000, at_ns=1_000_000_000)
    after = CoreCounters(steal_ticks=100 + ticks_per_s // 2, interrupts=5250, at_ns=3_500_000_000)
    assert after.since(before) == {"seconds": 2.5, "steal_ms": 500.0, "interrupts": 250}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc")
def test_this_machines_proc_is_read_for_every_core_it_has() -> None:
    """The parsing holds for the real files, not only for the ones above."""
    for core in os.sched_getaffinity(0):
        reading = read_core(core)
        assert reading is not None
        assert reading.interrupts > 0
