"""Running a user's script as `python SCRIPT ARGS` would, in this process: `sys.argv`,
`sys.path[0]` and `__name__ == "__main__"` as Python sets them, its exit code as Python
computes it (`sys.exit(None)` 0, an int itself, anything else printed and 1; an uncaught
exception 1, Ctrl-C 130), and its traceback printed through `sys.excepthook` without
tradeburst's own frames, so it reads as Python would print it. Threads the script leaves
running are left to the interpreter, which waits for them at exit as it always does.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from types import TracebackType

__all__ = ["run_script"]

INTERRUPTED = 130


def run_script(script: Path, args: list[str]) -> int:
    """Run `script` with `args`; its exit code."""
    path = str(script.resolve())
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [str(script), *args]
    sys.path.insert(0, str(script.resolve().parent if script.is_file() else script.resolve()))
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        return _exit_code(exc.code)
    except BaseException as exc:
        trimmed = _from_script(exc.__traceback__, path)
        # The default hook prints the exception's own traceback, whatever it is passed.
        sys.excepthook(type(exc), exc.with_traceback(trimmed), trimmed)
        return INTERRUPTED if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    return 0


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _from_script(tb: TracebackType | None, path: str) -> TracebackType | None:
    """The traceback from the script's first frame on (runpy's frames dropped); none if
    the script never ran (a syntax error: Python prints only its location then)."""
    while tb is not None and tb.tb_frame.f_code.co_filename != path:
        tb = tb.tb_next
    return tb
