"""How the CLI shows the library's log records: one line each on stderr, warnings and
above, with an exception's type and message but no traceback (a malformed request from a
client is news for the operator, not a crash)."""

from __future__ import annotations

import logging

__all__ = ["configure_logging"]


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname.lower()}: {record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line += f" ({type(error).__name__}: {error})"
        return line


def configure_logging(level: int = logging.WARNING) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_OneLine())
    logging.basicConfig(level=level, handlers=[handler], force=True)
