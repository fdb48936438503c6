"""A rush's last moments at raised priority: from shortly before the target until its
opening requests are out, the loop's thread runs at SCHED_FIFO (or the lowest nice value it
may take), so that a machine busy with other work neither wakes it late nor takes the core
from it mid-spin. Only that thread and only that long: `leave` gives back what it had, and a
watchdog thread gives it back anyway after `cap_s`, for a real-time thread that spins is a
thread nothing else on its core gets past. Where raising is not permitted, one line says
what was tried, and the rush goes on at normal priority. `TRADEBURST_RUSH_PRIORITY=normal`
keeps it there: for a machine whose other work must not wait behind a real-time thread (an
exchange or other rushes on the same two cores, as in the test suite)."""

from __future__ import annotations

import os
import threading

from tradeburst._platform import RaisedThread, raise_thread, restore_thread, say_once

__all__ = ["FIFO_PRIORITY", "SWITCH_VARIABLE", "RaisedWindow"]

FIFO_PRIORITY = 10
"""Above every normal thread, below the kernel's own real-time threads (50 and up)."""
SWITCH_VARIABLE = "TRADEBURST_RUSH_PRIORITY"
"""`normal`: a rush is never raised."""


class RaisedWindow:
    """Raised priority for the calling thread between `enter` and `leave`, `cap_s` at most."""

    def __init__(self, cap_s: float) -> None:
        self._cap_s = cap_s
        self._lock = threading.Lock()
        self._raised: RaisedThread | None = None
        self._watchdog: threading.Timer | None = None
        self.outcome = ""
        """What `enter` got: how the thread was raised, or why it was not; empty before."""

    @property
    def raised(self) -> bool:
        return self._raised is not None

    def enter(self) -> None:
        if self.outcome:  # entered once already: a window is not opened twice
            return
        if os.environ.get(SWITCH_VARIABLE, "").strip().lower() == "normal":
            self.outcome = f"kept at normal priority by {SWITCH_VARIABLE}=normal"
            return
        got = raise_thread(FIFO_PRIORITY)
        if isinstance(got, str):
            self.outcome = got
            say_once("priority", f"{got}; the rush's last moments run at normal priority")
            return
        self.outcome = got.how
        watchdog = threading.Timer(self._cap_s, self.leave)
        watchdog.daemon = True
        with self._lock:
            self._raised, self._watchdog = got, watchdog
        watchdog.start()

    def leave(self) -> None:
        """Give the thread back what it had; again is harmless, from any thread."""
        with self._lock:
            raised, self._raised = self._raised, None
            watchdog, self._watchdog = self._watchdog, None
        if raised is not None:
            restore_thread(raised)
        if watchdog is not None and watchdog is not threading.current_thread():
            watchdog.cancel()
