"""The exchange's enforcement of a broker limit profile (`tradeburst.limits`), per account
and the way brokers count: a sliding window of the last N seconds per limit class, refusing
(not queueing) what goes over. A refused request does not count toward the window.

Each admitted request is counted at one stamp of the rate clock; an order action's answer
reports that very stamp (`CountedStamps`), so a client may free its slot from it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from tradeburst.limits import PROFILES, RATE_LIMIT_MESSAGE, LimitClass, LimitProfile

__all__ = [
    "CONNECTION_LIMIT_MESSAGE",
    "PROFILES",
    "RATE_LIMIT_MESSAGE",
    "CountedStamps",
    "LimitClass",
    "LimitProfile",
    "RateGate",
]

CONNECTION_LIMIT_MESSAGE = "Login Error, 超過本應用程式連線限制==>[{limit}]"
_NS = 1_000_000_000


class RateGate:
    """One account's windows. `admit` answers whether a request may pass, and records it."""

    def __init__(self, profile: LimitProfile) -> None:
        self.profile = profile
        self._stamps: dict[LimitClass, deque[int]] = {cls: deque() for cls in profile.limits}
        self._suspended_until_ns = 0

    def admit(self, limit_class: LimitClass, now_ns: int, orders: int = 1) -> str | None:
        """None if the request passes, else the refusal message."""
        if now_ns < self._suspended_until_ns:
            return f"{RATE_LIMIT_MESSAGE} (account suspended after a breach)"
        charges = [(limit_class, 1)]
        if limit_class is LimitClass.BATCH and self.profile.batch_counts_orders:
            charges.append((LimitClass.ORDER, orders))
        for cls, count in charges:
            if cls not in self._stamps:
                continue
            window = self.profile.limits[cls]
            stamps = self._stamps[cls]
            horizon = now_ns - int(window.seconds * _NS)
            while stamps and stamps[0] <= horizon:
                stamps.popleft()
            if len(stamps) + count > window.requests:
                if self.profile.suspension_s:
                    self._suspended_until_ns = now_ns + int(self.profile.suspension_s * _NS)
                return RATE_LIMIT_MESSAGE
        for cls, count in charges:
            if cls in self._stamps:
                self._stamps[cls].extend([now_ns] * count)
        return None


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
