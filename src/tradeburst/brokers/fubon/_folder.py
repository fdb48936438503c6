"""The SDK worker's private folder. The SDK writes `./log/` in its current folder, with the
login request (password or API key in clear, in base64 lines) and the personal ID, so the
worker works in a fresh 0700 folder of the temporary directory, and the folder is deleted
when the worker ends, or its files moved to the folder `--fubon-keep-sdk-log` names (0700).

Each folder holds the pid of the process that made it; a later broker deletes the folders
of processes that are gone (killed before they could clean up).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["PREFIX", "dispose", "private_folder", "sweep_abandoned"]

log = logging.getLogger(__name__)

PREFIX = "tradeburst-fubon-"
_OWNER = "owner.pid"


def private_folder() -> Path:
    """A new folder only this user can enter (mkdtemp makes it 0700 on POSIX)."""
    folder = Path(tempfile.mkdtemp(prefix=PREFIX))
    _private(folder)
    (folder / _OWNER).write_text(str(os.getpid()), encoding="ascii")
    return folder


def dispose(folder: Path, keep: Path | None) -> list[Path]:
    """Delete `folder`; with `keep`, first move what the SDK and the worker wrote into
    `keep/<folder name>/` (0700). Returns the files kept."""
    kept: list[Path] = []
    if keep is not None and folder.is_dir():
        target = keep / folder.name
        target.mkdir(parents=True, exist_ok=True)
        _private(keep)
        _private(target)
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name != _OWNER:
                moved = target / path.relative_to(folder)
                moved.parent.mkdir(parents=True, exist_ok=True)
                _private(moved.parent)
                shutil.move(path, moved)
                kept.append(moved)
    shutil.rmtree(folder, ignore_errors=True)
    return kept


def sweep_abandoned() -> int:
    """Delete the worker folders whose owning process is gone; how many."""
    swept = 0
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((folder / _OWNER).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)
            swept += 1
    if swept:
        log.info("deleted %d SDK folders left by killed runs", swept)
    return swept


def _private(path: Path) -> None:
    with contextlib.suppress(OSError, NotImplementedError):
        os.chmod(path, 0o700)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return True  # no cheap check there: leave it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
