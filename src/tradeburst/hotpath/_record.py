"""The tick record the hot path carries: one fixed `struct` layout, prices as integer
milli-TWD (thousandths of a TWD, so every Taiwan tick is a whole number and no float ever
touches money), and the publish stamp from `time.perf_counter_ns` (CLOCK_MONOTONIC on
Linux), which every process on the machine reads from the same clock, so a reader in
another process can subtract it from its own reading.

`Tick` is a `msgspec.Struct`, not a `NamedTuple`: a reader builds one per record on the hot
path, and `Tick(*fields)` costs about half of `tuple.__new__(Tick, fields)` (which checks
the subclass and copies the tuple) here, with faster field reads."""

from __future__ import annotations

import struct
from decimal import Decimal
from enum import IntEnum

import msgspec

__all__ = ["RECORD", "Kind", "Tick", "to_milli"]


class Kind(IntEnum):
    TRADE = 1
    """`price_milli`/`quantity`: the print; `other_quantity`: the day's volume."""
    BOOK = 2
    """`price_milli`/`quantity`: best bid; `other_price_milli`/`other_quantity`: best ask
    (0 where that side is empty)."""
    SYNTHETIC = 3
    """A benchmark's or a test's tick; the fields mean what its producer says."""


RECORD = struct.Struct("<qqq8sB7xqqqq")
"""number, stamp_ns, time_ns, symbol (ASCII, NUL-padded), kind, price_milli, quantity,
other_price_milli, other_quantity: 72 bytes, the fields of `Tick` in its order, so a
reader makes a `Tick` from one `unpack_from` and one call, with no Python-level code."""


class Tick(msgspec.Struct, frozen=True, gc=False):
    """One record as read: `number` counts records from 0 in publish order. Not tracked
    by the cyclic collector: it holds no container."""

    number: int
    stamp_ns: int
    time_ns: int
    symbol: bytes
    kind: int
    price_milli: int
    quantity: int
    other_price_milli: int
    other_quantity: int

    @property
    def symbol_code(self) -> str:
        return self.symbol.rstrip(b"\0").decode("ascii")


_MILLI = Decimal(1000)


def to_milli(price_twd: Decimal) -> int:
    """Price in integer thousandths of a TWD; raises if it has finer precision."""
    milli = price_twd * _MILLI
    if milli != milli.to_integral_value():
        raise ValueError(f"price {price_twd} is finer than 0.001 TWD")
    return int(milli)
