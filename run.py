#!/usr/bin/env python3
"""Set up tradeburst on a machine with only Python 3.11+ and run it.

    python3 run.py demo     # the main job on the embedded rehearsal exchange
    python3 run.py test     # the test suite
    python3 run.py check    # lint, format check and type check
    python3 run.py ARGS...  # any tradeburst command, run in the current folder

The first run creates `.venv` beside this file and installs the project with its pinned
dependencies; later runs reinstall only when pyproject.toml or constraints.txt has changed.
`constraints.txt` pins every transitive dependency, so a fresh machine gets what CI tested.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".tradeburst-installed"


def ensure_installed() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py may be started by an older Python
        sys.exit(f"tradeburst needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing tradeburst and its pinned dependencies …", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    constraints = ["--constraint", str(ROOT / "constraints.txt")]
    subprocess.run([*pip, *constraints, "--editable", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def main(args: list[str]) -> int:
    ensure_installed()
    python = str(BIN / "python")
    if args[:1] == ["test"]:
        # The tests mostly wait on sockets, processes and clocks, not on the CPU: three
        # at a time finish in about half the time on two cores. `-n 0` runs them in turn.
        workers = [] if any(a.startswith(("-n", "--numprocesses")) for a in args) else ["-n", "3"]
        return subprocess.run([python, "-m", "pytest", *workers, *args[1:]], cwd=ROOT).returncode
    if args[:1] == ["check"]:
        paths = ["src", "tests", "run.py"]
        steps = [
            [python, "-m", "ruff", "check", *paths],
            [python, "-m", "ruff", "format", "--check", *paths],
            [python, "-m", "mypy"],
        ]
        return max(subprocess.run(step, cwd=ROOT).returncode for step in steps)
    # Any other command runs where it was started, so its paths are the caller's.
    return subprocess.run([str(BIN / "tradeburst"), *(args or ["--help"])]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
