"""Locking a process's memory in RAM for a hot loop (`mlockall`), so that no page fault
lands in the loop: neither the first touch of memory the loop grows into, nor a page the
kernel took back while the loop was quiet. Linux only, through the C library, and only
where locking cannot make the process fail. With a finite RLIMIT_MEMLOCK and no
CAP_IPC_LOCK, an allocation fails (a MemoryError in the loop) once the locked pages reach
the limit, which is worse than a fault. A process that already locks some of its memory
is left as it is, because unlocking after the loop would undo its owner's lock. Elsewhere
`lock` says why it did not, and the hot path's tuning says that in its one line."""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from pathlib import Path
from typing import Final

__all__ = ["lock", "unlock"]

_MCL_CURRENT: Final = 1
_MCL_FUTURE: Final = 2
"""Linux's values on x86-64 and arm64; other architectures number them differently."""
_MACHINES: Final = frozenset({"x86_64", "aarch64"})
_CAP_IPC_LOCK: Final = 14
_STATUS: Final = Path("/proc/self/status")


def lock() -> str | None:
    """Lock every page mapped now and every page mapped later; None once locked, or why
    the memory was left unlocked."""
    if not sys.platform.startswith("linux") or platform.machine() not in _MACHINES:
        return "locking is done on Linux on x86-64 and arm64 only"
    import resource  # here: the module does not exist on Windows, where this is never reached

    status = _status()
    locked_kb = status.get("VmLck", "0 kB").split()[0]
    if locked_kb != "0":
        return f"the process already locks {locked_kb} kB, which unlocking after would undo"
    limit = resource.getrlimit(resource.RLIMIT_MEMLOCK)[0]
    if limit != resource.RLIM_INFINITY and not _capable(status.get("CapEff", "0")):
        return (
            f"RLIMIT_MEMLOCK is {limit // 1024} KiB without CAP_IPC_LOCK; "
            "`ulimit -l unlimited` lifts it"
        )
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mlockall(_MCL_CURRENT | _MCL_FUTURE) != 0:
        return f"mlockall failed: {os.strerror(ctypes.get_errno())}"
    return None


def unlock() -> None:
    ctypes.CDLL(None).munlockall()


def _status() -> dict[str, str]:
    try:
        lines = _STATUS.read_text().splitlines()
    except OSError:
        return {}
    fields = (line.partition(":") for line in lines)
    return {name: value.strip() for name, _, value in fields}


def _capable(effective_hex: str) -> bool:
    try:
        return bool(int(effective_hex, 16) >> _CAP_IPC_LOCK & 1)
    except ValueError:
        return False
