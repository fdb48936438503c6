"""What `fire`, `rush` and `resume` are asked to do and what they report: `FireOptions`,
`FireResult` and its exit code, and how the options become a dispatch's terms and are kept
in the journal, so a `resume` sends the rest the way the run began."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradeburst.brokers import Broker
from tradeburst.engine._dispatch_terms import (
    DEFAULT_GRACE_S,
    DEFAULT_RECONCILE_TIMEOUT_S,
    DispatchOptions,
    ManualPacing,
)
from tradeburst.engine._dispatcher import Dispatcher
from tradeburst.engine._intents import Intent
from tradeburst.engine._planner import Plan
from tradeburst.engine._release_rule import Release, default_release
from tradeburst.engine._risk import RiskLimits
from tradeburst.engine._throttle import DEFAULT_HEADROOM_S
from tradeburst.engine._throttle_url import ThrottleUrl
from tradeburst.engine.journal import DispatchRecord, JournalLocation
from tradeburst.limits import LimitProfile
from tradeburst.summary import LatencyThresholds, Summary

__all__ = [
    "FireOptions",
    "FireResult",
    "Watch",
    "batch_within",
    "dispatch_options",
    "exit_code",
    "stored_options",
    "with_run_options",
]

_log = logging.getLogger("tradeburst")

Watch = Callable[[Dispatcher], None]
"""Called with the dispatcher as it starts, so a live view can follow it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FireOptions:
    """How a run sends: the limits it keeps under, its journal, batch size and pacing, its
    risk limits, and how it waits on lost answers."""

    profile: str | None = None
    """A profile name to throttle by instead of the one the broker declares."""
    journal: JournalLocation | Path | None = None
    """Where the run is journaled: a file, or a shared PostgreSQL database; None: a file
    named by the day and the run id."""
    concurrency: int | None = None
    max_batch: int | None = None
    pacing: ManualPacing | None = None
    risk: RiskLimits = field(default_factory=RiskLimits)
    grace_s: float = DEFAULT_GRACE_S
    reconcile_timeout_s: float = DEFAULT_RECONCILE_TIMEOUT_S
    """How long an order whose answer was lost is asked about before it is left UNKNOWN
    for `resume`."""
    headroom_s: float = DEFAULT_HEADROOM_S
    max_request_age_s: float | None = None
    """How long a request may still reach the broker after it left; None: the profile's."""
    cancel_on_abort: bool = False
    thresholds: LatencyThresholds = field(default_factory=LatencyThresholds)
    throttle: ThrottleUrl | None = None
    """The account's shared throttle on Redis; None: this process's own."""
    again: bool = False
    """Send orders a run of today already sent on this account (otherwise refused)."""
    release: Release | None = None
    """From when an answered request's throttle slots count their last window: the
    answer, or the stamp the broker counted it by; None: the broker's default (the stamp
    where the broker is known to count by the stamp it answers with, else the answer)."""


@dataclass(slots=True, kw_only=True)
class FireResult:
    """What a run did: its summary, the plan its lower bound comes from, its journal and
    intents, and why it stopped early, if it did."""

    summary: Summary
    plan: Plan
    profile: LimitProfile
    journal: str | None = None
    """Where the run's journal is, as shown (a path, or a URL without its password)."""
    run_id: str | None = None
    interrupted: bool = False
    fatal: str | None = None
    """Why sending stopped mid-run: the broker refused us outright, or the shared
    throttle was lost."""
    journal_failure: str | None = None
    """Why the journal could not be written mid-run; sending stopped there."""
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    """What a dry run found the broker would refuse when the orders would leave (its
    market closed for them)."""
    cancelled: int = 0
    intents: list[Intent] = field(default_factory=list)
    dispatch: DispatchRecord | None = None
    """This run's dispatch, as the journal keeps it."""
    watch_until_ns: int | None = None
    """Wall ns until which the account should be watched for late duplicates, when the
    watch could not run to its end (stopped)."""


def exit_code(result: FireResult) -> int:
    """The exit codes: 130 interrupted, 4 some unsettled or not sent (the broker refused
    us outright, or could not be reached, or the journal could not be written), 3 some
    rejected or placed twice (a late duplicate), else 0."""
    orders = result.summary.orders
    if result.interrupted:
        return 130
    if result.fatal or result.journal_failure:
        return 4
    if orders.unknown or orders.not_sent:
        return 4
    if orders.rejected or result.summary.late_duplicates:
        return 3
    return 0


def dispatch_options(
    broker: Broker, options: FireOptions, profile: LimitProfile
) -> DispatchOptions:
    """The dispatch's terms: the options, within what the broker can take."""
    capabilities = broker.capabilities
    concurrency = min(options.concurrency or capabilities.connections, capabilities.connections)
    return DispatchOptions(
        concurrency=concurrency,
        max_batch=batch_within(broker, options.max_batch),
        grace_s=options.grace_s,
        reconcile_timeout_s=options.reconcile_timeout_s,
        max_request_age_s=options.max_request_age_s or profile.max_request_age_s,
        pacing=options.pacing,
        release=options.release or default_release(capabilities),
    )


def batch_within(broker: Broker, requested: int | None) -> int:
    """Orders per batch call: `requested` (None: the broker's most), capped to the broker's
    most, and the cap said aloud: a user who asked for more must not find out from the
    journal that the batches were smaller."""
    most = broker.capabilities.max_batch_orders
    if requested is not None and requested > most:
        _log.warning(
            "batch size %d capped to %d, the most the %s broker takes in one batch call",
            requested,
            most,
            broker.name,
        )
    return min(requested or most, most)


def stored_options(options: FireOptions, dispatch: DispatchOptions) -> dict[str, Any]:
    """What `resume` needs to send the rest the way the run began."""
    pacing = options.pacing
    return {
        "profile": options.profile,
        "max_batch": dispatch.max_batch,
        "concurrency": dispatch.concurrency,
        "headroom_s": options.headroom_s,
        "pacing": [pacing.chunk_size, pacing.delay_s] if pacing else None,
        "max_request_age_s": dispatch.max_request_age_s,
        "release": None if options.release is None else options.release.value,
    }


def with_run_options(options: FireOptions, stored: dict[str, Any]) -> FireOptions:
    """`options`, with what the user did not give again taken from the run's journal. The
    headroom is the larger of the two: a resume raised after rate refusals gets the raise,
    and none runs closer to the limits than its run did."""
    pacing = stored.get("pacing")
    release = stored.get("release")
    return dataclasses.replace(
        options,
        profile=options.profile or stored.get("profile"),
        max_batch=options.max_batch or stored.get("max_batch"),
        concurrency=options.concurrency or stored.get("concurrency"),
        headroom_s=max(options.headroom_s, stored.get("headroom_s") or 0.0),
        max_request_age_s=options.max_request_age_s or stored.get("max_request_age_s"),
        pacing=options.pacing
        or (ManualPacing(chunk_size=pacing[0], delay_s=pacing[1]) if pacing else None),
        release=options.release or (Release(release) if release in set(Release) else None),
    )
