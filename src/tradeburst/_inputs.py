"""Every file a user names as input (orders, strategies, API key, Fubon config) is opened
here, by one rule: it must be a regular file, and no larger than the cap for its kind.
`/dev/zero` once passed as an API key file and grew to 24 GB before the kernel killed us;
a FIFO would block before any check could run. So the path is looked at before it is
opened, then the opened file again (it may have been swapped in between), and at most one
byte past the cap is read. The reason is given without the path: the caller names where.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from tradeburst.errors import TradeburstError

__all__ = [
    "FUBON_CONFIG_MAX_BYTES",
    "KEY_FILE_MAX_BYTES",
    "ORDERS_FILE_MAX_BYTES",
    "STRATEGIES_FILE_MAX_BYTES",
    "InputFileError",
    "open_input",
    "read_input",
]

ORDERS_FILE_MAX_BYTES = 512 * 1024 * 1024
"""Ample for a million orders of a few hundred bytes each."""
STRATEGIES_FILE_MAX_BYTES = 64 * 1024 * 1024
KEY_FILE_MAX_BYTES = 4096
FUBON_CONFIG_MAX_BYTES = 1024 * 1024


class InputFileError(TradeburstError):
    """The file cannot be input; the message says why (not where)."""


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MiB"
    if size >= 1024:
        return f"{size / 1024:g} KiB"
    return f"{size} bytes"


def _check(mode: int, size: int, limit_bytes: int) -> None:
    if stat.S_ISDIR(mode):
        raise InputFileError("is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise InputFileError("is not a regular file (a device, FIFO or socket cannot be input)")
    if size > limit_bytes:
        raise InputFileError(
            f"is {_size_text(size)}, over the {_size_text(limit_bytes)} this input may be"
        )


def open_input(path: Path, limit_bytes: int) -> BinaryIO:
    """`path` opened for reading in binary, once it is known to be a regular file within
    `limit_bytes`. `OSError` when it cannot be opened, `InputFileError` when it may not."""
    before = os.stat(path)
    _check(before.st_mode, before.st_size, limit_bytes)
    file = path.open("rb")
    try:
        opened = os.fstat(file.fileno())
        _check(opened.st_mode, opened.st_size, limit_bytes)
    except BaseException:
        file.close()
        raise
    return file


def read_input(path: Path, limit_bytes: int) -> bytes:
    """The bytes of `path` under the same rule; a file that grew past the cap while read
    is refused too."""
    with open_input(path, limit_bytes) as file:
        data = file.read(limit_bytes + 1)
    if len(data) > limit_bytes:
        raise InputFileError(f"grew past the {_size_text(limit_bytes)} this input may be")
    return data
