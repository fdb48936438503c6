"""The event loop's watchdog for `run`. Every strategy shares one loop, so one that blocks
it (a `time.sleep(5)` in `on_tick`) delays every other strategy's answers, which would then
look slow as if the broker were. Two measures, each cheap: every step of a strategy's own
code (what runs between two of its awaits) is timed, and one longer than `STALL_S` held the
loop, so the strategy and its callback are named; and a heartbeat task measures the loop's
lag, so a stall outside any strategy's code (the engine, a starved machine) is seen too. An
answer whose wait overlaps a stall was read late by us: it is counted as stalled, not
classified against the broker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Generator, Sequence
from typing import Any, Generic, TypeVar

from tradeburst.summary import LoopStall

__all__ = ["HEARTBEAT_S", "STALL_S", "LoopWatch", "overlaps", "stall_lines", "stalled"]

T = TypeVar("T")

STALL_S = 0.2
"""A step that holds the loop this long is a stall: long enough to leave the loop's normal
work (a burst's bookkeeping, a journal commit) alone, short against the 1 s that separates
a realtime answer from a delayed one."""
HEARTBEAT_S = 0.05
"""How often the heartbeat checks the loop's lag."""


class LoopWatch:
    """Times the strategies' steps and the loop's lag for one run; `stalls()` after it."""

    def __init__(self, *, stall_s: float = STALL_S, heartbeat_s: float = HEARTBEAT_S) -> None:
        self._stall_ns = int(stall_s * 1e9)
        self._heartbeat_s = heartbeat_s
        self._held: list[LoopStall] = []
        """Stalls inside a strategy's step, named."""
        self._lags: list[tuple[int, int]] = []
        """Wall-clock (start, end) ns of the heartbeat's late wake-ups."""

    async def timed(self, strategy: str, callback: str, step: Coroutine[Any, Any, T]) -> T:
        """`await step` (a callback's coroutine), each of its steps timed against `stall_s`."""
        return await _Timed(step, self, strategy, callback)

    def _stepped(self, strategy: str, callback: str, began_ns: int, ended_ns: int) -> None:
        if ended_ns - began_ns >= self._stall_ns:
            held_ms = round((ended_ns - began_ns) / 1e6, 3)
            self._held.append(
                LoopStall(held_by=strategy, callback=callback, started_ns=began_ns, held_ms=held_ms)
            )

    async def heartbeat(self) -> None:
        """Wake every `heartbeat_s`; a wake-up `stall_s` late means the loop was held."""
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self._heartbeat_s
            await asyncio.sleep(self._heartbeat_s)
            lag_ns = int((loop.time() - due) * 1e9)
            if lag_ns >= self._stall_ns:
                now_ns = time.time_ns()
                self._lags.append((now_ns - lag_ns, now_ns))

    def stalls(self) -> list[LoopStall]:
        """Every stall, in time order: the named ones, and those the heartbeat saw that no
        strategy's step explains."""
        unnamed = [
            LoopStall(held_by=None, callback=None, started_ns=start, held_ms=(end - start) / 1e6)
            for start, end in self._lags
            if not any(overlaps(s, start, end) for s in self._held)
        ]
        return sorted(self._held + unnamed, key=lambda s: s.started_ns)


def overlaps(stall: LoopStall, start_ns: int, end_ns: int) -> bool:
    """Whether `stall` held the loop at some moment between `start_ns` and `end_ns`."""
    stall_end_ns = stall.started_ns + int(stall.held_ms * 1e6)
    return stall.started_ns < end_ns and start_ns < stall_end_ns


def stalled(stalls: Sequence[LoopStall], sent_ns: int, answered_ns: int) -> bool:
    """Whether an answer's wait overlaps any stall: its latency is then partly ours."""
    return any(overlaps(s, sent_ns, answered_ns) for s in stalls)


def stall_lines(stalls: Sequence[LoopStall]) -> list[str]:
    """One line per holder and callback: how often it held the loop and the longest time."""
    held: dict[tuple[str | None, str | None], list[float]] = {}
    for stall in stalls:
        held.setdefault((stall.held_by, stall.callback), []).append(stall.held_ms)
    lines = []
    for (strategy, callback), times_ms in held.items():
        who = (
            f"strategy {strategy!r} held the event loop in {callback}"
            if strategy is not None
            else "the event loop was held outside any strategy's code"
        )
        count = len(times_ms)
        lines.append(
            f"{who} {count} time{'' if count == 1 else 's'}, longest {max(times_ms) / 1000:.2f} s"
        )
    return lines


class _Timed(Generic[T]):
    """Drives a coroutine step by step, as `await` would, stamping each step: the time
    between two awaits is the time the coroutine held the loop."""

    def __init__(
        self, step: Coroutine[Any, Any, T], watch: LoopWatch, strategy: str, callback: str
    ) -> None:
        self._step, self._watch = step, watch
        self._strategy, self._callback = strategy, callback

    def __await__(self) -> Generator[Any, Any, T]:
        step = self._step
        throw: BaseException | None = None
        sent: Any = None
        try:
            while True:
                began_ns = time.time_ns()
                try:
                    waiting = step.send(sent) if throw is None else step.throw(throw)
                except StopIteration as done:
                    result: T = done.value
                    return result
                finally:
                    self._watch._stepped(self._strategy, self._callback, began_ns, time.time_ns())
                try:
                    sent, throw = (yield waiting), None
                except GeneratorExit:
                    raise
                except BaseException as exc:  # a cancel or an error for the step: pass it on
                    sent, throw = None, exc
        finally:
            step.close()
