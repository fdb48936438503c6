"""Starting on time: sleep until just before a moment, then spin until it comes.

The loop's sleep wakes whenever the kernel and the other ready callbacks let it, often a
millisecond or more late on a busy machine; a spin on the monotonic clock is as precise
as the clock, but burns a core. So sleep until `spin_s` before the moment and spin the
rest.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["DEFAULT_SPIN_S", "wait_until"]

DEFAULT_SPIN_S = 0.005
"""Long enough to absorb a late wake-up on a busy 2-core machine."""


async def wait_until(target_mono_ns: int, *, spin_s: float = DEFAULT_SPIN_S) -> int:
    """Return at `target_mono_ns` (monotonic ns) or just after, never before; the
    monotonic ns at which it returned."""
    spin_ns = int(spin_s * 1e9)
    while (left_ns := target_mono_ns - time.monotonic_ns()) > spin_ns:  # noqa: ASYNC110
        await asyncio.sleep((left_ns - spin_ns) / 1e9)  # a sleep can end early: look again
    now = time.monotonic_ns()
    while now < target_mono_ns:
        now = time.monotonic_ns()
    return now
