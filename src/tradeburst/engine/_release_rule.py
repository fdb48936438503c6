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
margin for the variance of the shortest trip. The result is never before the send (the
request's own stamp is among those seen) and never after the answer.

Without a stamp (a broker whose answers have none, or a lost answer) the answer rule
applies. Fubon's answers carry no stamp and its counting rule is undocumented: it keeps
the answer rule.
"""

from __future__ import annotations

import enum

from tradeburst.brokers import Capabilities

__all__ = ["STAMP_MARGIN_NS", "Release", "StampedRelease", "default_release"]

STAMP_MARGIN_NS = 1_000_000
"""Added to every stamp-based release: the shortest trip seen early in a run may still be
above the shortest trip to come, and the broker's stamp may wobble."""


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
        self, resolution_ns: int, least_ns: int | None = None, margin_ns: int = STAMP_MARGIN_NS
    ) -> None:
        self._slack_ns = max(0, resolution_ns) + margin_ns
        self._least_ns = least_ns
        """The least (stamp - send) seen, sends on the throttle's clock in ns: the broker's
        offset plus its shortest trip; `least_ns` is where it starts, if known."""

    def release_at(self, sent_at: float, answered_at: float, counted_ns: int | None) -> float:
        """When the window of a request sent at `sent_at` and answered at `answered_at`
        counts from: its stamp `counted_ns` moved to our clock, or the answer."""
        if counted_ns is None:
            return answered_at
        sent_ns = round(sent_at * 1e9)
        trip_ns = counted_ns - sent_ns
        least = self._least_ns
        if least is None or trip_ns < least:
            self._least_ns = least = trip_ns
        return min(answered_at, sent_at + (trip_ns - least + self._slack_ns) / 1e9)
