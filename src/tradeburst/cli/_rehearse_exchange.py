"""The exchange a rehearsal runs against: the one at `--url`, checked with the key before
the script starts, or one started for the run as a child process (`tradeburst exchange
--port 0` with the options given), its key read from what it prints (never put on a
command line), its output drained so it never blocks, and stopped when the run ends."""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import IO

from tradeburst.errors import TradeburstError
from tradeburst.exchange import exchange_child

__all__ = ["RehearsalExchangeError", "check_exchange", "embedded_exchange"]

CHECK_TIMEOUT_S = 10.0
MAX_ANSWER_BYTES = 1024 * 1024


class RehearsalExchangeError(TradeburstError):
    """The exchange cannot be used for the rehearsal; the message says why."""


def check_exchange(url: str, api_key: str) -> str:
    """The account the key opens at `url`, or `RehearsalExchangeError`."""
    request = urllib.request.Request(
        url.rstrip("/") + "/v1/limits", headers={"Authorization": f"Bearer {api_key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=CHECK_TIMEOUT_S) as response:
            answer = json.loads(response.read(MAX_ANSWER_BYTES))
    except urllib.error.HTTPError as exc:
        message = _message(exc.read(MAX_ANSWER_BYTES)) or f"HTTP {exc.code}"
        raise RehearsalExchangeError(
            f"the rehearsal exchange at {url} refused the API key: {message}"
        ) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise RehearsalExchangeError(
            f"cannot reach the rehearsal exchange at {url}: {reason}"
        ) from None
    try:
        return str(answer["data"]["account"])
    except (KeyError, TypeError):
        raise RehearsalExchangeError(f"{url} does not answer as a rehearsal exchange") from None


def _message(raw: bytes) -> str | None:
    try:
        message = json.loads(raw).get("message")
    except (ValueError, AttributeError):
        return None
    return str(message) if message else None


@contextlib.contextmanager
def embedded_exchange(options: list[str]) -> Iterator[tuple[str, str]]:
    """A rehearsal exchange for the run: its URL and API key."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        process = subprocess.Popen(
            exchange_child(*options),
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            encoding="utf-8",
        )
        try:
            yield _started(process, errors)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _started(process: subprocess.Popen[str], errors: IO[str]) -> tuple[str, str]:
    stdout = process.stdout
    assert stdout is not None
    url = key = None
    for line in stdout:
        if "listening on " in line:
            url = line.split("listening on ", 1)[1].split()[0]
        elif " api key " in line and key is None:
            key = line.split(" api key ", 1)[1].strip()
        elif "Ctrl-C" in line:
            break
    if url is None or key is None:
        process.wait()
        errors.seek(0)
        detail = errors.read().strip().splitlines()
        raise RehearsalExchangeError(
            "the rehearsal exchange did not start" + (f": {detail[-1]}" if detail else "")
        )
    threading.Thread(target=stdout.read, name="exchange-output", daemon=True).start()
    return url, key
