"""The stand-in SDK's callbacks (`_fubon_standin`): set with the SDK's `set_on_*`, and
delivered in order on a thread of their own, as the real SDK delivers them, swallowing
whatever a callback raises (the SDK does too). A muted callback is never delivered: lost
with its connection."""

from __future__ import annotations

import contextlib
import queue
import threading
from typing import Any

__all__ = ["Callbacks"]


class Callbacks:
    def __init__(self, muted: list[str] | None) -> None:
        self._set: dict[str, Any] = {}
        self._muted = set(muted or ())
        self._queue: queue.Queue[tuple[str, Any, Any] | None] = queue.Queue()
        threading.Thread(target=self._deliver, name="standin-cb", daemon=True).start()

    def set(self, name: str, callback: Any) -> None:
        self._set[name] = callback

    def emit(self, name: str, code: Any, content: Any) -> None:
        if name not in self._muted:
            self._queue.put((name, code, content))

    def stop(self) -> None:
        self._queue.put(None)

    def _deliver(self) -> None:
        while (item := self._queue.get()) is not None:
            name, code, content = item
            callback = self._set.get(name)
            if callback is not None:
                with contextlib.suppress(Exception):
                    callback(code, content)
