"""The CLI's log lines go to the stderr of the moment: a command run in-process (a
notebook, a test runner) may have its stderr swapped and closed while the handler lives."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from tradeburst.cli._logging import configure_logging


def test_a_record_after_the_commands_stderr_closed_reaches_the_current_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    commands_stderr = io.StringIO()
    real_stderr, sys.stderr = sys.stderr, commands_stderr
    try:
        configure_logging()
    finally:
        sys.stderr = real_stderr
    commands_stderr.close()
    try:
        logging.getLogger("tradeburst.engine").warning("held for %d s", 3)
    finally:
        root.handlers[:], root.level = saved
    assert capsys.readouterr().err == "warning: tradeburst.engine: held for 3 s\n"
