"""What differs between Linux, macOS and Windows, in one place: Ctrl-C on a loop that takes
no signal handler (Windows), the cores a process may run on and SCHED_FIFO (Linux only), a
process's page faults and peak memory (not on Windows), where shared memory lives, whether
a file's permission bits mean anything (not on Windows), how a file is locked against other
processes, the event loop's clock (coarse on Windows before Python 3.13), how late a sleep
wakes, raising one thread's priority for a few milliseconds (SCHED_FIFO or a lower nice
value, Linux only), and how long a TCP socket's last bytes waited in the kernel (Linux's
`TCP_INFO`, to within two of its ticks). Where the platform cannot do
something, this module says so in one line, once per process (a warning of the
`tradeburst.platform` logger), and goes on. What it can detect (a loop without signal
handlers, no `os.sched_setaffinity`, a coarse clock) it detects; what only the platform's
name tells (permission bits, the timer's tick) it takes from `NAME`, which
`TRADEBURST_IMITATE_PLATFORM=windows|macos` sets, so that the tests can run the Windows and
macOS paths on Linux (docs/testing.md)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import stat
import struct
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Final, TypeVar

from tradeburst._bounded_run import run as bounded_run

__all__ = [
    "NAME",
    "SLEEP_OVERSHOOT_S",
    "RaisedThread",
    "allowed_cores",
    "bytes_waited_ns",
    "call_on_signals",
    "fifo",
    "page_faults",
    "peak_rss_kb",
    "private_file_problem",
    "process_cpu_s",
    "raise_thread",
    "restore_thread",
    "run_loop",
    "say_once",
    "set_cores",
    "set_policy",
    "shm_path",
    "try_lock",
]

log = logging.getLogger("tradeburst.platform")
T = TypeVar("T")

IMITATE_VARIABLE: Final = "TRADEBURST_IMITATE_PLATFORM"
_NAMES: Final = ("linux", "macos", "windows")


def _name() -> str:
    imitated = os.environ.get(IMITATE_VARIABLE, "").strip().lower()
    if imitated in _NAMES:
        return imitated
    if os.name == "nt":
        return "windows"
    return "macos" if sys.platform == "darwin" else "linux"


NAME: Final = _name()
"""`linux`, `macos` or `windows`: this machine's, or the one imitated."""

SLEEP_OVERSHOOT_S: Final = 0.016 if NAME == "windows" else 0.001
"""How late a sleep may wake beyond its time on an idle machine: Windows wakes sleepers on
its timer's 15.6 ms tick; elsewhere the kernel's timers are sub-millisecond."""

COARSE_S: Final = 1e-4
"""A clock whose resolution is coarser than this cannot stamp a request's trip."""

_said: set[str] = set()


def say_once(topic: str, text: str) -> None:
    """Warn `text` the first time `topic` comes up in this process."""
    if topic not in _said:
        _said.add(topic)
        log.warning("%s", text)


# -- Ctrl-C -------------------------------------------------------------------------------


def call_on_signals(signums: tuple[int, ...], callback: Callable[[], None]) -> None:
    """Call `callback` on the running loop whenever one of `signums` arrives. A loop that
    takes no signal handler (Windows' proactor) gets a `signal.signal` handler that hands
    the signal to the loop instead: the same callback, on the loop's thread."""
    loop = asyncio.get_running_loop()
    try:
        for signum in signums:
            loop.add_signal_handler(signum, callback)
        return
    except NotImplementedError:
        pass
    for signum in signums:
        before = signal.getsignal(signum)
        signal.signal(signum, _handing_to(loop, callback, before))


Handler = Callable[[int, FrameType | None], Any] | int | None


def _handing_to(
    loop: asyncio.AbstractEventLoop, callback: Callable[[], None], before: Handler
) -> Callable[[int, FrameType | None], None]:
    def handle(signum: int, frame: FrameType | None) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(callback)
            return
        # The run is over (its loop closed): the signal means what it meant before.
        signal.signal(signum, before if before is not None else signal.SIG_DFL)
        if callable(before):
            before(signum, frame)
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt
        elif before != signal.SIG_IGN:
            raise SystemExit(128 + signum)

    return handle


# -- cores --------------------------------------------------------------------------------


def allowed_cores(pid: int = 0) -> set[int] | None:
    """The cores `pid` (0: this process) may run on; None where that cannot be asked."""
    getter = getattr(os, "sched_getaffinity", None)
    if getter is None:
        say_once("cores", f"cannot pin processes to cores on {NAME}; they share the cores")
        return None
    try:
        return set(getter(pid))
    except OSError as exc:
        say_once("cores", f"cannot read which cores may be used ({exc.strerror})")
        return None


def set_cores(pid: int, cores: set[int]) -> bool:
    """Pin `pid` (0: this process) to `cores`; False where that is not possible."""
    setter = getattr(os, "sched_setaffinity", None)
    if setter is None:
        say_once("cores", f"cannot pin processes to cores on {NAME}; they share the cores")
        return False
    try:
        setter(pid, cores)
    except OSError as exc:
        say_once("cores", f"cannot pin a process to cores ({exc.strerror}); they share them")
        return False
    return True


def fifo(priority: int) -> tuple[int, int] | str:
    """Ask for SCHED_FIFO at `priority`: the policy and priority it had, to give back with
    `set_policy`, or why not."""
    if not hasattr(os, "sched_setscheduler"):
        return f"SCHED_FIFO is not available on {NAME}"
    before = (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority)
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except OSError as exc:
        return f"SCHED_FIFO not permitted ({exc.strerror}; needs CAP_SYS_NICE or an rtprio limit)"
    return before


def set_policy(policy: tuple[int, int]) -> None:
    os.sched_setscheduler(0, policy[0], os.sched_param(policy[1]))


# -- one thread's priority ----------------------------------------------------------------

LOWEST_NICE: Final = -20


@dataclass(frozen=True, slots=True)
class RaisedThread:
    """A thread whose priority `raise_thread` raised: how, and what to give back."""

    thread_id: int
    """The kernel's id of the thread (`threading.get_native_id`)."""
    how: str
    """What it was given, for a person: `SCHED_FIFO 10` or `nice -20`."""
    policy: tuple[int, int] | None = None
    """The scheduling policy and priority it had, when SCHED_FIFO was given."""
    nice: int | None = None
    """The nice value it had, when a lower one was given."""


def raise_thread(fifo_priority: int) -> RaisedThread | str:
    """Raise the calling thread, and only it: SCHED_FIFO at `fifo_priority`, or else the
    lowest nice value it may take (RLIMIT_NICE). What was given, to give back with
    `restore_thread`, or what was tried and why it was refused. Linux only: elsewhere a
    nice value belongs to the whole process and real-time policies need an administrator."""
    if NAME != "linux" or not hasattr(os, "sched_setscheduler"):
        return f"raised priority for one thread is not available on {NAME}"
    thread_id = threading.get_native_id()
    policy = (os.sched_getscheduler(thread_id), os.sched_getparam(thread_id).sched_priority)
    try:
        os.sched_setscheduler(thread_id, os.SCHED_FIFO, os.sched_param(fifo_priority))
    except OSError as exc:
        fifo_refused = f"SCHED_FIFO refused ({exc.strerror}; needs CAP_SYS_NICE or an rtprio limit)"
    else:
        return RaisedThread(thread_id, f"SCHED_FIFO {fifo_priority}", policy=policy)
    nice = os.getpriority(os.PRIO_PROCESS, thread_id)  # Linux: of this thread alone
    for lower in sorted({LOWEST_NICE, _lowest_nice_allowed()}):
        if lower >= nice:
            continue
        try:
            os.setpriority(os.PRIO_PROCESS, thread_id, lower)
        except OSError:
            continue
        return RaisedThread(thread_id, f"nice {lower}", nice=nice)
    return (
        f"raised priority not permitted: {fifo_refused}, and no nice value below {nice} "
        f"(RLIMIT_NICE allows down to {_lowest_nice_allowed()})"
    )


def _lowest_nice_allowed() -> int:
    """The lowest nice value RLIMIT_NICE lets an unprivileged thread take: 20 - limit."""
    import resource  # Linux only here

    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    if soft == resource.RLIM_INFINITY:
        return LOWEST_NICE
    return max(LOWEST_NICE, min(19, 20 - soft))


def restore_thread(raised: RaisedThread) -> None:
    """Give `raised` back what it had; from any thread (lowering is always permitted)."""
    try:
        if raised.policy is not None:
            policy, priority = raised.policy
            os.sched_setscheduler(raised.thread_id, policy, os.sched_param(priority))
        if raised.nice is not None:
            os.setpriority(os.PRIO_PROCESS, raised.thread_id, raised.nice)
    except ProcessLookupError:  # the thread has ended: nothing is left to give back
        pass


# -- what a process used ------------------------------------------------------------------


def page_faults() -> int | None:
    """This process's page faults so far, minor and major; None where not counted."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


def peak_rss_kb(*, children: bool = False) -> int | None:
    """The peak resident memory of this process (or of its waited-for children), KiB."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss  # bytes there


def process_cpu_s(pid: int) -> float | None:
    """The CPU time process `pid` has used so far, every thread, user and system, to the
    kernel's tick (10 ms at 100 Hz); None where another process's cannot be read (Linux's
    `/proc` alone is read here)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            stat_text = stat_file.read()
        fields = stat_text[stat_text.rindex(b")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime: the stat's 14th and 15th
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        say_once("process cpu", f"cannot read another process's CPU time on {NAME}")
        return None


def shm_path(name: str) -> str:
    """Where a named shared-memory segment can be seen, for a person to remove it."""
    return f"/dev/shm/{name}" if NAME == "linux" else f"the shared-memory segment {name}"


# -- files that hold secrets --------------------------------------------------------------


def private_file_problem(path: Path, mode: int) -> str | None:
    """Why `path` (of stat mode `mode`) cannot hold a secret, or None. Windows reports every
    file as 0o666 or 0o444 whoever may read it: there the bits are not read (and a line
    says so), but a file in a shared or network folder is still refused."""
    if NAME != "windows":
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            return f"readable by others (mode {stat.S_IMODE(mode):o}); chmod 600 it"
        return None
    if _in_network_folder(path):
        return "in a shared or network folder, where others may read it; keep it on a local disk"
    say_once(
        f"permissions {path}",
        f"the permissions of {path} were not checked: {NAME} does not report them; "
        "keep it in a folder only you can open",
    )
    return None


def _in_network_folder(path: Path) -> bool:
    """A UNC path (`\\\\server\\share\\…`), or on Windows a drive mapped to one."""
    where = str(path.absolute())
    if where.startswith(("\\\\", "//")):
        return True
    if os.name != "nt" or not path.absolute().drive:
        return False
    import ctypes

    drive_remote = 4
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined,unused-ignore]
    root = path.absolute().drive + "\\"
    return bool(kernel32.GetDriveTypeW(root) == drive_remote)


# -- a lock another process sees -----------------------------------------------------------


def try_lock(fd: int) -> bool:
    """Lock the open file `fd` against every other process, without waiting: False when
    another holds it. The lock goes with the file's closing, or its process's death."""
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


# -- the event loop's clock ---------------------------------------------------------------


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, with an end bounded in time (`tradeburst._bounded_run`), on a
    loop whose clock (`loop.time`, which the throttle's windows, the timers and every
    deadline read) has sub-millisecond resolution: where `time.monotonic` is coarse
    (Windows before Python 3.13 ticks every 15.6 ms) the loop reads `time.perf_counter`
    instead."""
    if time.get_clock_info("monotonic").resolution <= COARSE_S:
        return bounded_run(main)
    return bounded_run(main, loop_factory=_fine_clock_loop)


def _fine_clock_loop() -> asyncio.AbstractEventLoop:
    loop = asyncio.new_event_loop()
    loop.time = time.perf_counter  # type: ignore[method-assign]
    # Timers due within the resolution run at once; at the coarse clock's 15.6 ms they would
    # run that much early.
    loop._clock_resolution = time.get_clock_info("perf_counter").resolution  # type: ignore[attr-defined]
    return loop


# -- when a socket's bytes came ----------------------------------------------------------

_TCP_INFO_BYTES: Final = 56
_LAST_DATA_RECV_AT: Final = 52
"""Offset of `tcpi_last_data_recv` (u32, ms) in Linux's `struct tcp_info`, stable since 2.6."""
_CLOCK_MONOTONIC_COARSE: Final = 6
"""Linux's clock id: CLOCK_MONOTONIC as of the kernel's last tick, its resolution the tick."""


def _kernel_tick_ns() -> int:
    try:
        return max(1, round(time.clock_getres(_CLOCK_MONOTONIC_COARSE) * 1e9))
    except (OSError, AttributeError):
        return 0


_TICK_NS: Final = _kernel_tick_ns() if NAME == "linux" else 0


def bytes_waited_ns(sock: Any) -> int | None:
    """How long, at least, the last bytes the TCP socket `sock` received have waited in the
    kernel. Linux says how long ago they came in whole ticks of its clock (`TCP_INFO`), one
    tick more than they waited at most; less that tick, it is never more than they waited
    and less by under two ticks (8 ms at 250 Hz). None where the platform does not say
    (said once)."""
    tcp_info = getattr(socket, "TCP_INFO", None)
    if tcp_info is None or not _TICK_NS:
        say_once(
            "tcp_info",
            "this platform does not say when a socket's bytes arrived: the exchange stamps "
            "a request when its event loop reads it, late by whatever kept the loop busy",
        )
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, tcp_info, _TCP_INFO_BYTES)
    except OSError:
        return None
    if len(info) < _TCP_INFO_BYTES:
        return None
    ago_ms: int = struct.unpack_from("=I", info, _LAST_DATA_RECV_AT)[0]
    return max(0, ago_ms * 1_000_000 - _TICK_NS)
