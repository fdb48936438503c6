"""What a rush adds to a run: its target on the broker's clock, the wait until shortly
before it (connections kept in use, the clock offset estimated afresh, a broker clock at
another rate refused), and the fire error of the opening against the target, from our
stamps and from the exchange's. The precise last moments (sleep, then spin) belong to the
dispatcher (`_start.py`), which sends the opening."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import time as time_of_day

from tradeburst.brokers import Broker, BrokerError
from tradeburst.clock import exchange_datetime, on_day_of, wall_ns
from tradeburst.engine._intents import Intent
from tradeburst.engine._orders_file import InputProblem, InvalidInput
from tradeburst.engine.journal import DispatchRecord
from tradeburst.latency import DEFAULT_READS, ClockOffset, estimate_offset
from tradeburst.summary import FireError, Summary

__all__ = [
    "Notify",
    "Receipts",
    "fire_errors",
    "hold",
    "target_of",
    "waiting_text",
]

log = logging.getLogger(__name__)

KEEP_WARM_EVERY_S = 20.0
"""While a rush waits, the connections are used this often, well inside keep-alive."""
FINAL_ESTIMATE_S = 2.0
"""The clock offset is estimated again this long before a rush's target, or longer where
its reads take longer (`_estimate_lead_s`)."""
ESTIMATE_SPARE_S = 0.25
"""The final estimate must be done this long before the target, or it is dropped and the
first one kept: the dispatcher's own last moments (slots, sleep, spin) need the time."""
MAX_CLOCK_DRIFT = 0.001
"""How far the broker's clock rate may seem to differ from ours between two estimates
(beyond both estimates' errors) before a rush is refused."""

Receipts = Callable[[Sequence[str]], Awaitable[dict[str, int]]]
"""The exchange's receive stamps (its clock, ns) of the orders named by `user_def`."""
Notify = Callable[[str], None]


async def target_of(broker: Broker, at: time_of_day, problems: list[InputProblem]) -> int:
    """`at` today on the broker's clock, as epoch ns; a problem if it has passed."""
    now_ns = await broker.server_time_ns()
    target_ns = on_day_of(now_ns, at)
    if target_ns <= now_ns:
        problems.append(
            InputProblem(
                path="at",
                line=None,
                reason=f"{at.isoformat()} has passed: exchange time is "
                f"{exchange_datetime(now_ns).time().isoformat(timespec='milliseconds')}",
            )
        )
    return target_ns


async def hold(
    broker: Broker,
    connections: int,
    clock: ClockOffset,
    target_broker_ns: int,
    stop: asyncio.Event | None,
) -> ClockOffset:
    """Wait until shortly before the target, keeping the connections in use so none is
    closed for idling, then estimate the clock offset afresh for the final wait. A broker
    that cannot be reached meanwhile is only logged: it may be back by the target, and the
    first estimate still holds. A broker clock that does not run at our rate (a rehearsal
    exchange started with --speed) is refused: no single offset could place the target."""
    first, first_local_ns = clock, wall_ns()
    lead_s = _estimate_lead_s(clock)
    while True:
        left_s = (clock.to_local_ns(target_broker_ns) - wall_ns()) / 1e9
        if left_s <= lead_s or (stop is not None and stop.is_set()):
            break
        pause_s = min(KEEP_WARM_EVERY_S, left_s - lead_s)
        if stop is None:
            await asyncio.sleep(pause_s)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause_s)
        if left_s - pause_s > lead_s:
            await _keep_warm(broker, connections)
    if stop is not None and stop.is_set():
        return clock
    await _keep_warm(broker, connections)
    left_s = (clock.to_local_ns(target_broker_ns) - wall_ns()) / 1e9
    try:
        final = await asyncio.wait_for(
            estimate_offset(broker.server_time_ns), left_s - ESTIMATE_SPARE_S
        )
    except (BrokerError, TimeoutError) as exc:
        reason = exc if isinstance(exc, BrokerError) else "it would have run past the target"
        log.warning("the final clock estimate failed (%s); keeping the first one", reason)
        return clock
    if first.read_at_ns is not None and final.read_at_ns is not None:
        between_ns = final.read_at_ns - first.read_at_ns
    else:
        between_ns = wall_ns() - first_local_ns
    _refuse_other_rates(first, final, between_ns)
    return final


def _estimate_lead_s(clock: ClockOffset) -> float:
    """How long before the target the final estimate starts: its reads go one after
    another, so a slow round trip needs longer (twice the fastest one each, with room)."""
    reads_s = 2 * DEFAULT_READS * clock.rtt_ns / 1e9
    return max(FINAL_ESTIMATE_S, reads_s + 2 * ESTIMATE_SPARE_S)


async def _keep_warm(broker: Broker, connections: int) -> None:
    try:
        await broker.warm(connections)
    except BrokerError as exc:
        log.warning("keeping the connections warm failed (%s); trying again", exc)


def _refuse_other_rates(first: ClockOffset, final: ClockOffset, between_ns: int) -> None:
    drift_ns = abs(final.offset_ns - first.offset_ns) - first.error_ns - final.error_ns
    if between_ns > 0 and drift_ns > MAX_CLOCK_DRIFT * between_ns:
        # Two decimals: the two estimates' errors leave the third one noise (0.499 for 0.5).
        rate = 1 + (final.offset_ns - first.offset_ns) / between_ns
        raise InvalidInput(
            [
                InputProblem(
                    path="at",
                    line=None,
                    reason=f"the broker's clock runs at {rate:.2f}× ours: no target on it can "
                    "be kept (a rehearsal exchange must run at speed 1 for a rush)",
                )
            ]
        )


def waiting_text(target_broker_ns: int, clock: ClockOffset) -> str:
    target = exchange_datetime(target_broker_ns)
    left_s = (clock.to_local_ns(target_broker_ns) - wall_ns()) / 1e9
    return (
        f"first order at {target.time().isoformat(timespec='microseconds')} exchange time,"
        f" in {left_s:.3f} s; exchange clock {clock.offset_ns / 1e6:+.3f} ms from ours"
        f" (± {clock.error_ns / 1e6:.3f} ms)"
    )


async def fire_errors(
    summary: Summary,
    intents: list[Intent],
    dispatched: DispatchRecord,
    target_wall_ns: int,
    target_broker_ns: int,
    receipts: Receipts | None,
) -> DispatchRecord:
    """The opening sends against the target: from our stamps, and from the exchange's
    receive stamps when they can be read (its clock against its clock: no offset)."""
    if not dispatched.opening_sends_ns:  # stopped before the target: nothing to tell
        return dispatched
    summary.timing.fire_error_us = FireError.of(
        [s - target_wall_ns for s in dispatched.opening_sends_ns]
    )
    if receipts is None:
        return dispatched
    opening = set(dispatched.opening_sends_ns)
    user_defs = [i.user_def for i in intents if i.sent_ns in opening]
    try:
        received = await receipts(user_defs)
    except Exception as exc:  # the figure is lost, nothing else
        log.warning("exchange receive stamps not read (%s)", exc)
        return dispatched
    # One stamp per order (a batch's orders share theirs): early arrivals count orders.
    stamps = sorted(received.values())
    if not stamps:  # none of them was placed (all refused): no figure, not a zero
        return dispatched
    summary.timing.exchange_fire_error_us = FireError.of([s - target_broker_ns for s in stamps])
    return dataclasses.replace(dispatched, opening_received_ns=stamps)
