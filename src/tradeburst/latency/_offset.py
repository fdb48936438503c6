"""The exchange clock, seen from here: the offset between the broker's clock and the local
wall clock, estimated from several clock reads.

Each read is bracketed by two local stamps; the broker's answer was taken somewhere in
between, so the best guess for it is the midpoint, wrong by at most half the round trip.
Reads that queued somewhere (a busy loop, a retransmit) have long round trips and skewed
midpoints, so only the fastest reads vote, and their median is the estimate (Cristian's
algorithm, with NTP's habit of trusting the shortest trips).

The reads also bound the broker's offset plus the shortest trip there, with no need to
split a round trip in two: the least (broker stamp - local send time, on the monotonic
clock, which no one steps) of all reads (`send_to_stamp_ns`), which
`engine._release_rule` starts from.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tradeburst.clock import mono_ns, wall_ns

__all__ = ["ClockOffset", "estimate_offset"]

DEFAULT_READS = 16
DEFAULT_KEEP = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockOffset:
    """Broker time = local wall time + `offset_ns`, to within `error_ns`."""

    offset_ns: int
    rtt_ns: int
    """The fastest round trip seen: what a request costs on an idle, warm connection."""
    error_ns: int
    """Half the slowest round trip among the reads that voted: the estimate's bound."""
    reads: int
    send_to_stamp_ns: int | None = None
    """The least (broker time read - `mono_ns()` when its read was sent) of all reads: the
    broker's clock less the monotonic clock, plus the shortest one-way trip to the
    broker's clock; None when not measured."""
    read_at_ns: int | None = None
    """The local wall time the estimate is of: the mean midpoint of the reads that voted
    (what two estimates' drift is measured over); None when not measured."""

    def to_broker_ns(self, local_wall_ns: int) -> int:
        return local_wall_ns + self.offset_ns

    def to_local_ns(self, broker_ns: int) -> int:
        return broker_ns - self.offset_ns


async def estimate_offset(
    read_broker_ns: Callable[[], Awaitable[int]],
    *,
    reads: int = DEFAULT_READS,
    keep: int = DEFAULT_KEEP,
) -> ClockOffset:
    """Read the broker's clock `reads` times; the median offset of the `keep` fastest."""
    if reads < 1 or not 1 <= keep <= reads:
        raise ValueError("need 1 <= keep <= reads")
    samples: list[tuple[int, int, int]] = []  # (round trip, offset, local midpoint), all ns
    send_to_stamp_ns: int | None = None
    for _ in range(reads):
        sent_ns = mono_ns()
        before = wall_ns()
        broker_ns = await read_broker_ns()
        after = wall_ns()
        midpoint = (before + after) // 2
        samples.append((after - before, broker_ns - midpoint, midpoint))
        trip_ns = broker_ns - sent_ns
        send_to_stamp_ns = trip_ns if send_to_stamp_ns is None else min(send_to_stamp_ns, trip_ns)
    samples.sort()
    fastest = samples[:keep]
    return ClockOffset(
        offset_ns=int(statistics.median(offset for _, offset, _ in fastest)),
        rtt_ns=fastest[0][0],
        error_ns=fastest[-1][0] // 2,
        reads=reads,
        send_to_stamp_ns=send_to_stamp_ns,
        read_at_ns=sum(midpoint for _, _, midpoint in fastest) // keep,
    )
