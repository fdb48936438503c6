"""Strategies: TWAP slicing of large parents, the `Strategy` API, the fair share of one
account's throttle, and the runner behind `tradeburst run`."""

from tradeburst.strategies._clock import seconds_of_day
from tradeburst.strategies._twap import (
    BASES,
    PricePolicy,
    Slice,
    TwapError,
    TwapParent,
    TwapStep,
    allowed_lots,
    execute,
    twap_schedule,
)

__all__ = [
    "BASES",
    "PricePolicy",
    "Slice",
    "TwapError",
    "TwapParent",
    "TwapStep",
    "allowed_lots",
    "execute",
    "seconds_of_day",
    "twap_schedule",
]
