"""The exchange's enforcement of a broker limit profile (`tradeburst.limits`), per account
and the way brokers count: a sliding window of the last N seconds per limit class, refusing
(not queueing) what goes over. A refused request does not count toward the window.

Each admitted request is counted at one stamp of the rate clock, its arrival; an order
action's answer reports that very stamp (`CountedStamps`), so a client may free its slot
from it. Requests are handled in about the order of their stamps, not exactly (they wait in
the exchange's queue and cross the modelled network by different times), so the windows go
by the stamps, not by the order of handling: a request is admitted only if every window of
the class that holds its stamp, (e - W, e] for any e, stays within the limit with it,
windows ending at stamps counted before it but later than it included. Handled in stamp
order, that is the plain rule: the window that ends at its stamp.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from dataclasses import dataclass

from tradeburst.limits import PROFILES, RATE_LIMIT_MESSAGE, LimitClass, LimitProfile

__all__ = [
    "CONNECTION_LIMIT_MESSAGE",
    "PROFILES",
    "RATE_LIMIT_MESSAGE",
    "STAMP_MEMORY_S",
    "CountedStamps",
    "LimitClass",
    "LimitProfile",
    "RateGate",
]

CONNECTION_LIMIT_MESSAGE = "Login Error, 超過本應用程式連線限制==>[{limit}]"
_NS = 1_000_000_000

STAMP_MEMORY_S = 60.0
"""How far behind the latest stamp a stamp may come and still be judged against the stamps
around it: longer than a request can take from its first byte to its handling (header and
body timeouts, the late fault's hold). An older stamp is counted at that edge instead."""


class RateGate:
    """One account's windows. `admit` answers whether a request may pass, and records it."""

    def __init__(self, profile: LimitProfile, memory_s: float = STAMP_MEMORY_S) -> None:
        self.profile = profile
        self._stamps: dict[LimitClass, list[int]] = {cls: [] for cls in profile.limits}
        """Per class, the stamps counted, sorted; a batch counted as n orders is n stamps."""
        self._widths_ns = {cls: int(w.seconds * _NS) for cls, w in profile.limits.items()}
        self._memory_ns = int(memory_s * _NS)
        self._latest_ns: int | None = None
        self._suspensions: list[tuple[int, int]] = []
        """[from, until) spans of stamps refused after a breach."""

    def countable(self, stamp_ns: int) -> int:
        """The stamp a request with `stamp_ns` is counted by: itself, unless it is older
        than the gate remembers (then the oldest it can judge)."""
        if self._latest_ns is None:
            return stamp_ns
        return max(stamp_ns, self._latest_ns - self._memory_ns)

    def admit(self, limit_class: LimitClass, stamp_ns: int, orders: int = 1) -> str | None:
        """None if the request stamped `stamp_ns` (from `countable`) passes, else the
        refusal message."""
        if self._suspensions and any(start <= stamp_ns < end for start, end in self._suspensions):
            return f"{RATE_LIMIT_MESSAGE} (account suspended after a breach)"
        charges = [(limit_class, 1)]
        if limit_class is LimitClass.BATCH and self.profile.batch_counts_orders:
            charges.append((LimitClass.ORDER, orders))
        charges = [(cls, count) for cls, count in charges if cls in self._stamps]
        for cls, count in charges:
            if self._fullest(cls, stamp_ns) + count > self.profile.limits[cls].requests:
                if self.profile.suspension_s:
                    until = stamp_ns + int(self.profile.suspension_s * _NS)
                    self._suspensions.append((stamp_ns, until))
                return RATE_LIMIT_MESSAGE
        for cls, count in charges:
            stamps = self._stamps[cls]
            if not stamps or stamp_ns >= stamps[-1]:
                stamps.extend([stamp_ns] * count)
            else:
                for _ in range(count):
                    insort(stamps, stamp_ns)
        if self._latest_ns is None or stamp_ns > self._latest_ns:
            self._latest_ns = stamp_ns
            self._forget(stamp_ns)
        return None

    def _fullest(self, cls: LimitClass, stamp_ns: int) -> int:
        """The most stamps already counted in one window of `cls` that holds `stamp_ns`:
        the window ending at it, and those ending at a later stamp less than W after it."""
        stamps = self._stamps[cls]
        width_ns = self._widths_ns[cls]
        at = bisect_right(stamps, stamp_ns)
        fullest = at - bisect_right(stamps, stamp_ns - width_ns)
        index = at
        while index < len(stamps) and stamps[index] < stamp_ns + width_ns:
            end_ns = stamps[index]
            index = bisect_right(stamps, end_ns, index)
            fullest = max(fullest, index - bisect_right(stamps, end_ns - width_ns))
        return fullest

    def _forget(self, latest_ns: int) -> None:
        """Drop the stamps and suspensions no stamp the gate still judges can meet."""
        edge_ns = latest_ns - self._memory_ns
        for cls, stamps in self._stamps.items():
            old = bisect_right(stamps, edge_ns - self._widths_ns[cls])
            if old > len(stamps) // 2:  # in bulk, so that dropping stays cheap
                del stamps[:old]
        if self._suspensions:
            self._suspensions = [(s, e) for s, e in self._suspensions if e > edge_ns]


@dataclass(frozen=True, slots=True, kw_only=True)
class CountedStamps:
    """How the rate limiter's stamps are reported in the answers: truncated to
    `resolution_ns`, as a broker whose clock ticks coarser would, then moved by `shift_ns`,
    as a broker whose stamp lies would (both for tests)."""

    resolution_ns: int = 1
    shift_ns: int = 0

    def __post_init__(self) -> None:
        if self.resolution_ns < 1:
            raise ValueError("the stamps' resolution must be at least 1 ns")

    def report(self, counted_ns: int) -> int:
        return counted_ns - counted_ns % self.resolution_ns + self.shift_ns
