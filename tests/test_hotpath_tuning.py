"""Locking memory for the busy-poll loop: locked while the loop runs and unlocked after
where the process may lock without a limit; otherwise the loop runs unlocked and says
why, and a process that locks memory of its own keeps its lock. Each case runs in a fresh
interpreter, with the rights it needs taken away before it starts."""

from __future__ import annotations

import ctypes
import gc
import json
import resource
import subprocess
import sys
from typing import Any

from tradeburst.hotpath import restore, tune

PR_CAPBSET_DROP = 24
CAP_IPC_LOCK = 14
SMALL_LIMIT = 64 * 1024

_LOOP = """
import ctypes, json, os, sys
from tradeburst.hotpath import BusyPollConsumer, Kind, RingReader, RingWriter

def locked_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmLck:"):
            return int(line.split()[1])

if "own-lock" in sys.argv:
    page = ctypes.create_string_buffer(4096)
    assert ctypes.CDLL(None).mlock(page, 4096) == 0
before = locked_kb()
during = []
with RingReader.create(f"tb-test-lock-{os.getpid()}", 4) as reader:
    writer = RingWriter.attach(reader.name)
    for number in range(3):
        writer.publish(Kind.SYNTHETIC, b"2330", number, number)
    writer.release()
    consumer = BusyPollConsumer(reader, lambda t: during.append(locked_kb()), realtime=False)
    report = consumer.run(max_ticks=3, timeout_s=5.0)
print(json.dumps({
    "ticks": report.ticks, "locked": report.memory_locked, "notes": report.notes,
    "before": before, "during": during, "after": locked_kb(),
}))
"""


def run_loop(*flags: str, rights: bool = True) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _LOOP, *flags],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        preexec_fn=None if rights else _without_memory_lock_rights,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _without_memory_lock_rights() -> None:
    """A small RLIMIT_MEMLOCK, and CAP_IPC_LOCK dropped from the bounding set, so that
    not even root has it after exec (and root ignores the limit with it)."""
    hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)[1]
    limit = SMALL_LIMIT if hard == resource.RLIM_INFINITY else min(SMALL_LIMIT, hard)
    resource.setrlimit(resource.RLIMIT_MEMLOCK, (limit, limit))
    ctypes.CDLL(None).prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK, 0, 0, 0)


def locked_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmLck:"))


def test_under_a_lock_limit_the_loop_runs_unlocked_and_says_why() -> None:
    result = run_loop(rights=False)
    assert result["ticks"] == 3
    assert result["locked"] is False
    assert result["during"] == [0, 0, 0]
    [note] = [n for n in result["notes"] if n.startswith("memory not locked")]
    assert "RLIMIT_MEMLOCK is 64 KiB" in note
    assert "CAP_IPC_LOCK" in note


def test_a_process_that_locks_memory_of_its_own_keeps_exactly_its_lock() -> None:
    result = run_loop("own-lock")
    assert result["ticks"] == 3
    assert result["locked"] is False
    assert result["before"] == result["after"] > 0
    assert set(result["during"]) == {result["before"]}
    assert any("already locks" in note for note in result["notes"])


def test_the_loop_locks_memory_where_permitted_and_unlocks_it_after() -> None:
    """Locked with the rights this test runs with (root or an unlimited RLIMIT_MEMLOCK),
    or refused with the reason when it has neither: either way nothing stays locked."""
    result = run_loop()
    assert result["ticks"] == 3
    assert result["before"] == result["after"] == 0
    if result["locked"]:
        assert min(result["during"]) > 1024, "an interpreter locks megabytes, not kilobytes"
    else:
        assert result["during"] == [0, 0, 0]
        assert any(n.startswith("memory not locked") for n in result["notes"])


def test_tune_and_restore_leave_no_lock_behind_in_this_process() -> None:
    tuning = tune(realtime=False)
    try:
        locked, during = tuning.memory_locked, locked_kb()
    finally:
        restore(tuning)
    assert (during > 0) == locked
    assert locked_kb() == 0
    assert tuning.memory_locked == locked, "the tuning still says what the loop had"


def test_restore_leaves_a_callers_collector_as_it_found_it() -> None:
    """A caller that turned the collector off and froze its objects (as the burst engine
    does) gets them back so: off, and still frozen."""
    gc.disable()
    gc.freeze()
    frozen = gc.get_freeze_count()
    try:
        restore(tune(realtime=False))
        assert not gc.isenabled()
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()
        gc.enable()
