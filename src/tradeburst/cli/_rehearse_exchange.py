"""The exchange a rehearsal runs against: the one at `--url`, checked with the key before
the script starts, or one started for the run as a child process (`tradeburst exchange
--port 0` with the options given), its key read from what it prints (never put on a
command line) and its output drained so it never blocks."""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
from typing import IO

from tradeburst.errors import TradeburstError
from tradeburst.exchange import exchange_child

__all__ = ["EmbeddedExchange", "RehearsalExchangeError", "check_exchange"]

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


class EmbeddedExchange:
    """A rehearsal exchange for the run, in a child process: `start` gives its URL and API
    key, `stop` (idempotent) ends it."""

    def __init__(self, options: list[str]) -> None:
        self._options = options
        self._errors: IO[str] | None = None
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> tuple[str, str]:
        # Kept open as long as the exchange runs: what it says if it fails to start.
        self._errors = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._process = subprocess.Popen(
            exchange_child(*self._options),
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
            encoding="utf-8",
        )
        try:
            return _started(self._process, self._errors)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._errors is not None:
            self._errors.close()
            self._errors = None


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
