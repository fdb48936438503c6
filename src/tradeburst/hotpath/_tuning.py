"""Making one process fit for busy polling: pinned to one core, SCHED_FIFO where the
system permits it, its memory locked in RAM where that is safe (`_memory_lock`), and the
garbage collector frozen (everything alive moved out of its sight) and disabled for the
loop. Each step that is not permitted is said plainly, in the log and in the returned
`Tuning`, and the loop runs without it; `restore` undoes what was done so a process does
not stay real-time, or locked, after its loop."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field

from tradeburst._platform import allowed_cores, fifo, set_cores, set_policy
from tradeburst.hotpath import _memory_lock

__all__ = ["Tuning", "restore", "tune"]

log = logging.getLogger(__name__)

FIFO_PRIORITY = 1
"""The lowest real-time priority: enough to run ahead of every ordinary process on the
core; the kernel's real-time throttling still leaves others 5 % of it."""


@dataclass(slots=True, kw_only=True)
class Tuning:
    cpu: int | None = None
    realtime: bool = False
    memory_locked: bool = False
    gc_frozen: bool = False
    notes: list[str] = field(default_factory=list)
    _affinity: set[int] | None = None
    _policy: tuple[int, int] | None = None
    _holds_lock: bool = False
    _collector_was_on: bool = True
    _froze: bool = False
    """Whether the freeze was ours: a caller that froze objects itself keeps them frozen
    (there is no unfreezing only ours)."""

    def note(self, message: str) -> None:
        log.warning("%s", message)
        self.notes.append(message)


def tune(*, cpu: int | None = None, realtime: bool = True) -> Tuning:
    """Pin to `cpu` (default: the last core this process may use), ask for SCHED_FIFO,
    lock the memory, freeze and disable the collector."""
    tuning = Tuning()
    _pin(tuning, cpu)
    if realtime:
        _realtime(tuning)
    refused = _memory_lock.lock()
    if refused is None:
        tuning.memory_locked = tuning._holds_lock = True
    else:
        tuning.note(f"memory not locked ({refused}): a page fault can land in the loop")
    tuning._collector_was_on = gc.isenabled()
    tuning._froze = gc.get_freeze_count() == 0
    gc.collect()
    gc.freeze()
    gc.disable()
    tuning.gc_frozen = True
    return tuning


def _pin(tuning: Tuning, cpu: int | None) -> None:
    allowed = allowed_cores()
    if allowed is None:
        tuning.note("cannot pin to a core here; polling unpinned")
        return
    target = max(allowed) if cpu is None else cpu
    if not set_cores(0, {target}):
        tuning.note(f"cannot pin to core {target}; polling unpinned")
        return
    tuning.cpu, tuning._affinity = target, allowed
    if len(allowed) < 2:
        tuning.note("only one core is allowed: the poller shares it with the producer")


def _realtime(tuning: Tuning) -> None:
    policy = fifo(FIFO_PRIORITY)
    if isinstance(policy, str):
        tuning.note(f"{policy}: polling at normal priority")
        return
    tuning.realtime, tuning._policy = True, policy


def restore(tuning: Tuning) -> None:
    """Normal priority, the former cores, memory unlocked, the collector as it was."""
    if tuning._policy is not None:
        set_policy(tuning._policy)
        tuning._policy = None
    if tuning._affinity is not None:
        set_cores(0, tuning._affinity)
        tuning._affinity = None
    if tuning._holds_lock:
        _memory_lock.unlock()
        tuning._holds_lock = False
    if tuning.gc_frozen:
        if tuning._froze:
            gc.unfreeze()
        if tuning._collector_was_on:
            gc.enable()
        tuning.gc_frozen = False
