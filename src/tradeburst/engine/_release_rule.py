"""When a request's throttle slots start their last window: at its answer (`answer`), or
at the time the broker counted it by, read from the stamp its answer carries
(`broker-stamp`).

The broker counts request j against request i's window when j's stamp is less than a
window after i's. j is sent a window after i's slot is released, and reaches the broker's
counter no sooner than the shortest trip there (send to count) that any request takes. So
i's window may count from its stamp less that shortest trip, in our clock: its stamp minus
the least (stamp - send) seen so far, which this module keeps per dispatch. That least
difference is the broker's clock offset and the shortest trip in one; it needs no round
trip to be split in two, so asymmetric latency costs nothing, and a stamp that is off by a
constant cancels out (the offset alone, estimated from clock reads, is only known to
within half a round trip: added as its error, it would bring the release back to the
answer). It starts from the clock-offset estimate's reads of the broker's clock, lighter
requests than any order (`ClockOffset.send_to_stamp_ns`), so the first answers of a run,
which queued behind each other, do not set it too high. A stamp
truncated to a coarser resolution is up to one tick early: the resolution is added, and a
fixed margin for the stamp's wobble. The least seen is itself only an upper bound of the
shortest trip to come, the least of a few samples each inflated by the jitter and by
whatever delayed the bytes after the send was stamped (a loaded machine: measured 2.5 ms
above the shortest trip for the first 56 requests of a run beside two CPU hogs). So the
spread of the lowest trips seen is added too: the gap between the least and the
`LOWEST_KEPT`-th least, which is wide while few trips are seen or the machine is loaded,
and shrinks to nothing over a long quiet run (with uniform jitter, the least overshoots
the shortest trip by more than that gap with odds of 2^-(LOWEST_KEPT - 1)). Until that
many trips are seen, the seed is among them: the first requests of a run leave in a
burst and their trips queue (7-8 ms above the shortest, traced under load), and a stamp
that lies by a few ms moves the trips but not the clock reads, so the seed may sit that
far above the shortest trip to come (a 4 ms lie left 1.45 ms of a first window's 4 ms of
margin and headroom); their disagreement is how little is known yet. The result is
never before the send (the request's own stamp is among those seen) and never after the
answer.

Without a stamp (a broker whose answers have none, or a lost answer) the answer rule
applies. Fubon's answers carry no stamp and its counting rule is undocumented: it keeps
the answer rule.
"""

from __future__ import annotations

import bisect
import enum

from tradeburst.brokers import Capabilities

__all__ = ["LOWEST_KEPT", "STAMP_MARGIN_NS", "Release", "StampedRelease", "default_release"]

STAMP_MARGIN_NS = 1_000_000
"""Added to every stamp-based release: the shortest trip seen early in a run may still be
above the shortest trip to come, and the broker's stamp may wobble."""

LOWEST_KEPT = 8
"""How many of the lowest trips measure their spread, the margin on top of the least."""


class Release(enum.StrEnum):
    """From when a request's slot counts its last window."""

    ANSWER = "answer"
    """Its answer: exact whatever the broker stamps, one round trip late per window."""
    BROKER_STAMP = "broker-stamp"
    """The stamp the broker counted it by, where its answer carries one; else its answer."""


def default_release(capabilities: Capabilities) -> Release:
    """Broker stamps where the broker is known to count by the stamps it answers with (the
    rehearsal exchange); the answer elsewhere."""
    if capabilities.counted_resolution_ns is None:
        return Release.ANSWER
    return Release.BROKER_STAMP


class StampedRelease:
    """The release times of one dispatch's requests, from their stamps. Times are on the
    throttle's clock, in seconds; stamps are the broker's, in ns since the epoch."""

    def __init__(
        self,
        resolution_ns: int,
        least_ns: int | None = None,
        margin_ns: int = STAMP_MARGIN_NS,
        lowest_kept: int = LOWEST_KEPT,
    ) -> None:
        self._slack_ns = max(0, resolution_ns) + margin_ns
        self._seed_ns = least_ns
        """Where the least starts, if known: the clock reads' least (stamp - send), sends on
        the throttle's clock in ns; not a trip of the stamps counted, so not in `_lowest`."""
        self._lowest: list[int] = []
        """The lowest (stamp - send) of this dispatch's requests, ascending, at most
        `lowest_kept`: the broker's offset plus its shortest trips."""
        self._kept = max(1, lowest_kept)

    def release_at(self, sent_at: float, answered_at: float, counted_ns: int | None) -> float:
        """When the window of a request sent at `sent_at` and answered at `answered_at`
        counts from: its stamp `counted_ns` moved to our clock, or the answer."""
        if counted_ns is None:
            return answered_at
        trip_ns = counted_ns - round(sent_at * 1e9)
        lowest = self._lowest
        if len(lowest) < self._kept or trip_ns < lowest[-1]:
            bisect.insort(lowest, trip_ns)
            del lowest[self._kept :]
        seed = self._seed_ns
        least = lowest[0] if seed is None else min(seed, lowest[0])
        if seed is not None and len(lowest) < self._kept:
            # Few trips yet, queued behind each other, and the stamps may lie where the
            # clock reads do not: how far the two disagree is how little is known.
            spread_ns = max(lowest[-1], seed) - least
        else:
            spread_ns = lowest[-1] - lowest[0]
        return min(answered_at, sent_at + (trip_ns - least + self._slack_ns + spread_ns) / 1e9)
