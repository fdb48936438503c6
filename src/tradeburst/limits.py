"""Broker limit profiles: how many requests of each class a broker lets one account make
in a sliding window of N seconds. The rehearsal exchange enforces them; the engine's
throttle keeps under them. Both read the same table, so a rehearsal and a live run agree.

Fubon Neo: 50 order actions/s, 10 batch calls/s (at most 30 orders each), 5 account
queries/s, 10 connections; refusals carry `業務系統流量控管`. Whether a batch also counts
its orders toward the order limit is undocumented; the default is no
(`batch_counts_orders=False`). Shioaji: 250 order actions per 10 s, each order of a batch
counting as one; a breach suspends the account for 60 s. `none`: no limits.

Every profile also says how long a request may still reach the broker after it left
(`max_request_age_s`): a request held by the network (a gateway that accepts bytes and
acts on them late) is assumed never to land after that. No broker publishes such a rule,
so every profile takes the safe 60 s; the engine never sends an unanswered order again
before then.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import msgspec

__all__ = [
    "CONNECTION_LIMIT_MARK",
    "DEFAULT_MAX_REQUEST_AGE_S",
    "PROFILES",
    "RATE_LIMIT_MESSAGE",
    "LimitClass",
    "LimitProfile",
    "Window",
    "orders_per_s",
]

RATE_LIMIT_MESSAGE = "Login Error, 業務系統流量控管"
CONNECTION_LIMIT_MARK = "超過本應用程式連線限制"
"""In the refusal of a connection over the account's limit (Fubon:
`Login Error, 超過本應用程式連線限制==>[10]`)."""
DEFAULT_MAX_REQUEST_AGE_S = 60.0
"""How long a request may be held on its way and still reach the broker, unless a
broker's own rule is known to be shorter."""


class Window(msgspec.Struct, frozen=True, kw_only=True, rename={"seconds": "window_s"}):
    """At most `requests` requests in any `seconds` seconds: one class's sliding window."""

    # On the wire (`/v1/limits`) the window has always been called `window_s`; the rename
    # lets the API carry this type without changing what clients read.
    requests: int
    seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1:
            raise ValueError(f"a window allows at least 1 request, not {self.requests}")
        if not 0 <= self.seconds < math.inf:
            raise ValueError(f"a window lasts a finite time of at least 0 s, not {self.seconds}")


class LimitClass(enum.StrEnum):
    ORDER = "order"
    BATCH = "batch"
    QUERY = "query"


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitProfile:
    name: str
    limits: dict[LimitClass, Window] = field(default_factory=dict)
    """Per class: how many requests its window allows."""
    connections: int | None = None
    suspension_s: float = 0.0
    batch_counts_orders: bool = False
    max_request_age_s: float = DEFAULT_MAX_REQUEST_AGE_S
    """After this long, a request that has not reached the broker never will."""


PROFILES: dict[str, LimitProfile] = {
    "fubon": LimitProfile(
        name="fubon",
        limits={
            LimitClass.ORDER: Window(requests=50, seconds=1.0),
            LimitClass.BATCH: Window(requests=10, seconds=1.0),
            LimitClass.QUERY: Window(requests=5, seconds=1.0),
        },
        connections=10,
    ),
    "shioaji": LimitProfile(
        name="shioaji",
        limits={LimitClass.ORDER: Window(requests=250, seconds=10.0)},
        connections=5,
        suspension_s=60.0,
        batch_counts_orders=True,
    ),
    "none": LimitProfile(name="none"),
}


def orders_per_s(profile: LimitProfile, max_batch: int) -> float | None:
    """The profile's order budget a second (Fubon: 50 single orders and 10 batches of 30,
    350); None when nothing limits orders."""
    limits = profile.limits
    if LimitClass.ORDER not in limits and LimitClass.BATCH not in limits:
        return None
    per_s = 0.0
    if LimitClass.ORDER in limits:
        window = limits[LimitClass.ORDER]
        per_s += window.requests / window.seconds
    if LimitClass.BATCH in limits and max_batch > 1 and not profile.batch_counts_orders:
        window = limits[LimitClass.BATCH]
        per_s += window.requests * max_batch / window.seconds
    return per_s
