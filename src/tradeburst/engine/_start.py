"""Starting on time: sleep until just before a moment, then spin until it comes.

The loop's sleep wakes whenever the kernel and the other ready callbacks let it, often a
millisecond or more late on a busy machine (and a timer tick, 15.6 ms, on Windows); a spin
on `mono_ns` is as precise as that clock, sub-microsecond on every platform, but burns a
core. So sleep until `spin_s` before the moment and spin the rest.
"""

from __future__ import annotations

import asyncio

from tradeburst._platform import SLEEP_OVERSHOOT_S
from tradeburst.clock import mono_ns

__all__ = ["DEFAULT_SPIN_S", "wait_until"]

DEFAULT_SPIN_S = max(0.005, 2 * SLEEP_OVERSHOOT_S)
"""Long enough to absorb a late wake-up on a busy 2-core machine, or two of Windows' timer
ticks."""


async def wait_until(target_mono_ns: int, *, spin_s: float = DEFAULT_SPIN_S) -> int:
    """Return at `target_mono_ns` (monotonic ns) or just after, never before; the
    monotonic ns at which it returned."""
    spin_ns = int(spin_s * 1e9)
    while (left_ns := target_mono_ns - mono_ns()) > spin_ns:  # noqa: ASYNC110
        await asyncio.sleep((left_ns - spin_ns) / 1e9)  # a sleep can end early: look again
    now = mono_ns()
    while now < target_mono_ns:
        now = mono_ns()
    return now
