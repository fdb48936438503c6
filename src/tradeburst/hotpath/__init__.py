"""The hot path: a shared-memory tick ring (seqlock per slot, one producer that never
blocks), a busy-poll consumer pinned to a core with the collector frozen and SCHED_FIFO
where permitted, pre-built order bytes fired on a warm socket, and a probe of how quiet a
core is for all of that (`measure_hiccups`)."""

from tradeburst.hotpath._consumer import BusyPollConsumer, ConsumerReport
from tradeburst.hotpath._hiccups import Hiccups, measure_hiccups
from tradeburst.hotpath._record import Kind, Tick, to_milli
from tradeburst.hotpath._ring import DEFAULT_CAPACITY, RingReader, RingWriter
from tradeburst.hotpath._tuning import Tuning, restore, tune
from tradeburst.hotpath._wire import OrderWire, build_order_request

__all__ = [
    "DEFAULT_CAPACITY",
    "BusyPollConsumer",
    "ConsumerReport",
    "Hiccups",
    "Kind",
    "OrderWire",
    "RingReader",
    "RingWriter",
    "Tick",
    "Tuning",
    "build_order_request",
    "measure_hiccups",
    "restore",
    "to_milli",
    "tune",
]
