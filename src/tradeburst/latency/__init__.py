"""The latency monitor's pieces: the broker clock's offset, histograms that keep their
precision in fixed memory, and the split of an order's time into its parts."""

from tradeburst.latency._breakdown import (
    Component,
    Stamped,
    TripTimes,
    broker_stamp_ns,
    split_trip,
    trip_of,
)
from tradeburst.latency._histogram import LatencyHistogram
from tradeburst.latency._offset import DEFAULT_READS, ClockOffset, estimate_offset

__all__ = [
    "DEFAULT_READS",
    "ClockOffset",
    "Component",
    "LatencyHistogram",
    "Stamped",
    "TripTimes",
    "broker_stamp_ns",
    "estimate_offset",
    "split_trip",
    "trip_of",
]
