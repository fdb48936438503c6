"""What a dispatch is asked to do and what it reports: `DispatchOptions` (how many
requests in flight, how big a batch, how long an unknown waits before the broker is
asked, manual chunked pacing, a rush's target, from when a slot's last window counts)
and `DispatchStats` (the live counters and stamps the progress view, the summary and the
journal read)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tradeburst.engine._release_rule import Release
from tradeburst.engine._start import DEFAULT_SPIN_S
from tradeburst.limits import DEFAULT_MAX_REQUEST_AGE_S

__all__ = [
    "DEFAULT_GRACE_S",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_RECONCILE_TIMEOUT_S",
    "DispatchOptions",
    "DispatchStats",
    "ManualPacing",
]

DEFAULT_GRACE_S = 1.0
DEFAULT_RECONCILE_TIMEOUT_S = 30.0
DEFAULT_MAX_ATTEMPTS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class ManualPacing:
    """Chunked pacing as done by hand: `chunk_size` single orders, then `delay_s` before the
    next chunk."""

    chunk_size: int
    delay_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchOptions:
    concurrency: int
    """Requests in flight at once (at most the broker's connections)."""
    max_batch: int
    """Orders in one batch call; 1 sends single orders only."""
    grace_s: float = DEFAULT_GRACE_S
    """How long an UNKNOWN waits before the broker is asked about it."""
    reconcile_timeout_s: float = DEFAULT_RECONCILE_TIMEOUT_S
    """How long to keep asking before leaving an intent UNKNOWN."""
    max_request_age_s: float = DEFAULT_MAX_REQUEST_AGE_S
    """How long after it left a request may still reach the broker: an order whose
    answer was lost is sent again only after this, and only if the broker lacks it."""
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    """Sends of one intent that were refused as not placed before it is left unsent."""
    pacing: ManualPacing | None = None
    start_at_ns: int | None = None
    """Monotonic ns before which nothing is sent (a rush's target); None: at once."""
    spin_s: float = DEFAULT_SPIN_S
    """How long before `start_at_ns` the wait stops sleeping and spins."""
    release: Release = Release.ANSWER
    """From when an answered request's slots count their last window: its answer, or the
    stamp the broker counted it by (where the answer carries one)."""


@dataclass(slots=True)
class DispatchStats:
    """Live counters, read by the progress view."""

    total: int = 0
    sent: int = 0
    """Orders sent (an order sent twice counts twice)."""
    requests: int = 0
    accepted: int = 0
    rejected: int = 0
    unknown: int = 0
    resent: int = 0
    found_placed: int = 0
    """Orders settled by asking the broker (their answer was lost, or a stopped run's)."""
    not_sent: int = 0
    rate_limit_rejections: int = 0
    first_send_ns: int = 0
    last_settle_ns: int = 0
    """Monotonic ns the last request ended (answered, refused or failed) or an order was
    settled, whichever came last: the end of the run's elapsed time."""
    latencies_ns: list[int] = field(default_factory=list)
    """Send to answer, per order answered directly."""
    started_ns: int = 0
    """Monotonic ns the dispatch began (after a rush's wait)."""
    opening_sends_ns: list[int] = field(default_factory=list)
    """Monotonic send stamps of the requests that went out at the start, before the
    throttle or the connection budget made any wait."""
    opening_priority: str = ""
    """How a rush's last moments were raised (`SCHED_FIFO 10`, `nice -20`), or why not."""
    sends: list[tuple[int, int]] = field(default_factory=list)
    """(monotonic ns, orders) of each request, for the rate shown against the limit."""
    last_resend_wall_ns: int = 0
    """Wall-clock ns of the latest send of an order sent again after the broker did not
    have it: the late-duplicate watch runs one request age from there."""
    cpu_ns: int = 0
    """The process's CPU time over the dispatch (every thread, the journal's writer too;
    a rush's last wait included), for a benchmark to set beside a bare client's."""
