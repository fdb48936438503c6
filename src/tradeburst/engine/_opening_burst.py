"""A rush's opening on the wire: at the target, every opening request the broker built ahead
is stamped and written, one after the other, in one synchronous stretch. No await between
two writes, so nothing else the loop runs (answers, the journal's commits, a live view, a
task per request) comes between them; what a send also costs (counting it, journaling its
orders as in flight) is done for all of them after the last write, and only then are their
answers awaited. A request the broker built nothing for, or whose connection closed
meanwhile, is left to go the usual way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from tradeburst.brokers import Broker
from tradeburst.clock import mono_ns

__all__ = ["Burst", "write_opening"]

T = TypeVar("T")


class Burst(Generic[T]):
    """What the opening's writes did: the requests written, in the order they went, each
    with its send stamp (monotonic ns) and its send time on the throttle's clock; and
    those left for the usual way."""

    def __init__(self) -> None:
        self.written: list[tuple[T, int, float]] = []
        self.unwritten: list[T] = []


def write_opening(
    broker: Broker, requests: Sequence[T], throttle_now: Callable[[], float]
) -> Burst[T]:
    """Write each of `requests`, in the order they were given to the broker's
    `prepare_opening`, that it built ahead, stamping each just before its write."""
    burst: Burst[T] = Burst()
    written, unwritten, write = burst.written, burst.unwritten, broker.write_opening
    for index, request in enumerate(requests):
        sent_ns, sent_at = mono_ns(), throttle_now()
        if write(index):
            written.append((request, sent_ns, sent_at))
        else:
            unwritten.append(request)
    return burst
