"""Where an order's time went, from its stamps: the trip from the moment it was due to its
answer, split into queue, throttle, wire and broker time, and the usual comparison of
the broker's own time with ours.

- queue: due to sent, less the throttle's part (orders ahead, the connection budget,
  back-offs, pacing);
- throttle: waiting at the head of the queue for the broker's rate limit;
- wire: the round trip a request costs on an idle, warm connection (the fastest clock
  read of the run), the network's share of every answer;
- broker: the rest of the round trip, the broker's own work and queueing.

The broker's `last_time` is on the broker's clock; it is compared with ours only through
the run's offset estimate, never directly (subtracting them raw, as is commonly done,
reads a clock error as latency).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import time
from typing import Protocol

from tradeburst.clock import on_day_of
from tradeburst.latency._offset import ClockOffset

__all__ = ["Component", "Stamped", "TripTimes", "broker_stamp_ns", "split_trip", "trip_of"]


class Component(enum.StrEnum):
    QUEUE = "queue"
    THROTTLE = "throttle"
    WIRE = "wire"
    BROKER = "broker"


@dataclass(frozen=True, slots=True, kw_only=True)
class TripTimes:
    queue_ns: int
    throttle_ns: int
    wire_ns: int
    broker_ns: int
    difference_ns: int | None
    """The time difference desks grade: our answer's arrival on the broker's clock, less the
    broker's `last_time`; None without a broker stamp."""

    @property
    def compared_ms(self) -> float:
        """What the latency classification grades: |difference|, or the round trip when
        the broker gave no time."""
        if self.difference_ns is None:
            return (self.wire_ns + self.broker_ns) / 1e6
        return abs(self.difference_ns) / 1e6

    @property
    def total_ns(self) -> int:
        return self.queue_ns + self.throttle_ns + self.wire_ns + self.broker_ns

    def of(self, component: Component) -> int:
        return {
            Component.QUEUE: self.queue_ns,
            Component.THROTTLE: self.throttle_ns,
            Component.WIRE: self.wire_ns,
            Component.BROKER: self.broker_ns,
        }[component]


class Stamped(Protocol):
    """An order's stamps as the engine keeps them (local wall ns)."""

    @property
    def queued_ns(self) -> int: ...
    @property
    def throttle_wait_ns(self) -> int: ...
    @property
    def sent_ns(self) -> int: ...
    @property
    def answered_ns(self) -> int: ...
    @property
    def last_time(self) -> str | None: ...


def trip_of(order: Stamped, clock: ClockOffset) -> TripTimes:
    return split_trip(
        queued_ns=order.queued_ns,
        throttle_wait_ns=order.throttle_wait_ns,
        sent_ns=order.sent_ns,
        answered_ns=order.answered_ns,
        last_time=order.last_time,
        clock=clock,
    )


def split_trip(
    *,
    queued_ns: int,
    throttle_wait_ns: int,
    sent_ns: int,
    answered_ns: int,
    last_time: str | None,
    clock: ClockOffset,
) -> TripTimes:
    """The times of one answered send; all stamps are local wall ns."""
    waited_ns = max(0, sent_ns - queued_ns) if queued_ns else 0
    throttle_ns = min(throttle_wait_ns, waited_ns)
    round_trip_ns = max(0, answered_ns - sent_ns)
    wire_ns = min(clock.rtt_ns, round_trip_ns)
    stamp_ns = broker_stamp_ns(last_time, clock.to_broker_ns(answered_ns))
    return TripTimes(
        queue_ns=waited_ns - throttle_ns,
        throttle_ns=throttle_ns,
        wire_ns=wire_ns,
        broker_ns=round_trip_ns - wire_ns,
        difference_ns=None if stamp_ns is None else clock.to_broker_ns(answered_ns) - stamp_ns,
    )


_DAY_NS = 86_400 * 10**9
"""Asia/Taipei keeps no summer time: every day is this long."""


def broker_stamp_ns(last_time: str | None, near_broker_ns: int) -> int | None:
    """The broker's `last_time` (HH:MM:SS.fff, Asia/Taipei, no date) as epoch ns, on the
    day (that of `near_broker_ns`, or the one before or after) that puts it nearest: a
    stamp of 23:59:59.950 answered at 00:00:00.100 is from the day before. None when it
    is missing or not a time."""
    if not last_time:
        return None
    try:
        moment = time.fromisoformat(last_time)
    except ValueError:
        return None
    same_day = on_day_of(near_broker_ns, moment)
    days = (same_day - _DAY_NS, same_day, same_day + _DAY_NS)
    return min(days, key=lambda stamp: abs(stamp - near_broker_ns))
