"""How the CLI shows the library's log records: one line each on stderr, warnings and
above, with an exception's type and message but no traceback (a malformed request from a
client is news for the operator, not a crash)."""

from __future__ import annotations

import logging
import sys

__all__ = ["configure_logging"]


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname.lower()}: {record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line += f" ({type(error).__name__}: {error})"
        return line


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes, not the stream it was
    when the command began: a command run in-process (a notebook, a test runner) may
    have its stderr swapped and closed while the handler lives on."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(level: int = logging.WARNING) -> None:
    handler = _CurrentStderr()
    handler.setFormatter(_OneLine())
    logging.basicConfig(level=level, handlers=[handler], force=True)
