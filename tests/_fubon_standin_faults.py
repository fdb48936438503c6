"""The stand-in SDK's run-time faults (`_fubon_standin`): which call gets which, and the
two that need the interpreter's help. `faults` are `"method:n:behaviour"` strings, the
n-th call of that method on one SDK object; with `once_dir`, each fires once across every
SDK object of a test (a worker replaced does not meet it again).

- `closed`: sent, then the connection-closed Result, event 300, a logged-out reconnect;
- `closed-before`: the same, not sent;
- `url`: the URL-error Result, not sent;
- `logout`: events 300 and 100, then `Not Login Error` from then on;
- `hang`: sent, never returns, the GIL released; `hang-gil`: never returns, holding it;
- `panic`: sent, then a `pyo3_runtime.PanicException`, a BaseException;
- `exit`: sent, then the process dies as by a segfault;
- `304`: event 304, the forced logout, then `Not Login Error`;
- `304-late`: `Not Login Error` first, the event `EVENT_LAG_S` behind it (the answer and
  the event reach Python on different threads of the real SDK).
"""

from __future__ import annotations

import ctypes
from pathlib import Path

EVENT_LAG_S = 0.3
"""How far `304-late`'s event trails its `Not Login Error` answer."""


class PanicException(BaseException):
    """What a Rust panic raises through PyO3: not an `Exception`."""


PanicException.__module__ = "pyo3_runtime"
_LIBC = ctypes.PyDLL(None)  # a PyDLL call keeps the GIL, as the SDK's blocking calls do


def hold_gil(seconds: float) -> None:
    """Sleep in C without releasing the GIL: every other thread of the process stops."""
    if seconds >= 1:
        _LIBC.sleep(int(seconds))
    elif seconds > 0:
        _LIBC.usleep(int(seconds * 1_000_000))


class Faults:
    def __init__(self, specs: list[str], once_dir: str | None) -> None:
        self._faults = [tuple(spec.split(":", 2)) for spec in specs]
        self._once_dir = None if once_dir is None else Path(once_dir)

    def of(self, name: str, n: int) -> str | None:
        """The behaviour of the `n`-th call of `name`, if it has one."""
        for method, nth, behaviour in self._faults:
            if method != name or int(nth) != n:
                continue
            if self._once_dir is not None:
                try:
                    (self._once_dir / f"{method}-{nth}-{behaviour}").open("x").close()
                except FileExistsError:
                    continue
            return behaviour
        return None
