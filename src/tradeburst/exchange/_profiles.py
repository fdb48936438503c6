"""Broker limit profiles, enforced per account the way brokers count: a sliding window of
the last N seconds per limit class, refusing (not queueing) what goes over.

Fubon Neo: 50 order actions/s, 10 batch calls/s, 5 account queries/s, 10 connections;
refusals carry `業務系統流量控管`. Whether a batch also counts its orders toward the
order limit is undocumented; the default is no (`batch_counts_orders=False`). Shioaji: 250
order actions per 10 s, each order of a batch counting as one; a breach suspends the
account for 60 s. `none`: no limits.
A refused request does not count toward the window.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field

__all__ = [
    "CONNECTION_LIMIT_MESSAGE",
    "PROFILES",
    "RATE_LIMIT_MESSAGE",
    "LimitClass",
    "LimitProfile",
    "RateGate",
]

RATE_LIMIT_MESSAGE = "Login Error, 業務系統流量控管"
CONNECTION_LIMIT_MESSAGE = "Login Error, 超過本應用程式連線限制==>[{limit}]"
_NS = 1_000_000_000


class LimitClass(enum.StrEnum):
    ORDER = "order"
    BATCH = "batch"
    QUERY = "query"


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitProfile:
    name: str
    limits: dict[LimitClass, tuple[int, float]] = field(default_factory=dict)
    """Per class: (requests allowed, window in seconds)."""
    connections: int | None = None
    suspension_s: float = 0.0
    batch_counts_orders: bool = False


PROFILES: dict[str, LimitProfile] = {
    "fubon": LimitProfile(
        name="fubon",
        limits={
            LimitClass.ORDER: (50, 1.0),
            LimitClass.BATCH: (10, 1.0),
            LimitClass.QUERY: (5, 1.0),
        },
        connections=10,
    ),
    "shioaji": LimitProfile(
        name="shioaji",
        limits={LimitClass.ORDER: (250, 10.0)},
        connections=5,
        suspension_s=60.0,
        batch_counts_orders=True,
    ),
    "none": LimitProfile(name="none"),
}


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
            limit, window_s = self.profile.limits[cls]
            stamps = self._stamps[cls]
            horizon = now_ns - int(window_s * _NS)
            while stamps and stamps[0] <= horizon:
                stamps.popleft()
            if len(stamps) + count > limit:
                if self.profile.suspension_s:
                    self._suspended_until_ns = now_ns + int(self.profile.suspension_s * _NS)
                return RATE_LIMIT_MESSAGE
        for cls, count in charges:
            if cls in self._stamps:
                self._stamps[cls].extend([now_ns] * count)
        return None
