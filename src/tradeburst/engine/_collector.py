"""The engine's one policy for Python's cyclic garbage collector, where its pauses would
land on the orders.

- `frozen_for_the_run`: what is built before a dispatch (the intents, their orders, the
  request bodies) lives to the end of the run; it is moved out of the collector's sight,
  so collections during the burst walk only what the burst makes. The full collection
  that does it walks the whole heap (hundreds of ms in a large process): a rush enters it
  before its wait, so it never runs in the wait's last moments, and the dispatch's own
  (nested) entry then does nothing.
- `OffUntilReleased`: no collection from the last moment of a rush's wait until its
  opening requests are out, then the collector as the caller had it.
- `off_while`: none while a large file is read, whose every row stays alive: the collector
  would walk them again and again and free nothing.

The hot path tunes its own process (`tradeburst.hotpath`): it keeps the collector off for
the whole of a busy-poll loop, which is a different promise.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["OffUntilReleased", "frozen_for_the_run", "off_while"]


_frozen_depth = 0
"""How many `frozen_for_the_run` are open: only the outermost collects and thaws."""


@contextlib.contextmanager
def frozen_for_the_run() -> Iterator[None]:
    global _frozen_depth
    if _frozen_depth == 0:
        gc.collect()
        gc.freeze()
    _frozen_depth += 1
    try:
        yield
    finally:
        _frozen_depth -= 1
        if _frozen_depth == 0:
            gc.unfreeze()


@contextlib.contextmanager
def off_while() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class OffUntilReleased:
    """The collector off from `hold()` until `release()` (or the end), then as it was."""

    def __init__(self) -> None:
        self._was_on = False
        self._held = False

    def hold(self) -> None:
        self._was_on = gc.isenabled()
        self._held = True
        gc.disable()

    def release(self) -> None:
        if self._held:
            self._held = False
            if self._was_on:
                gc.enable()
