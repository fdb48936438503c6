"""Seeded fault injection for order actions, so a client's recovery can be rehearsed and
replayed: the same seed and the same request order give the same faults.

- error: refused before anything is placed (HTTP 503): safe to send again.
- ambiguous: the order is placed and stored, then the answer is lost: either the
  connection is closed at once or the answer is held for the stall time and then dropped.
- reset: the connection is closed before anything is placed.
- stall: the answer comes, but only after the stall time.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

__all__ = ["Fault", "FaultInjector", "FaultRates"]


class Fault(enum.StrEnum):
    ERROR = "error"
    AMBIGUOUS = "ambiguous"
    RESET = "reset"
    STALL = "stall"


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRates:
    error: float = 0.0
    ambiguous: float = 0.0
    reset: float = 0.0
    stall: float = 0.0
    stall_ms: float = 1000.0

    def __post_init__(self) -> None:
        rates = (self.error, self.ambiguous, self.reset, self.stall)
        if any(not 0.0 <= rate <= 1.0 for rate in rates) or sum(rates) > 1.0:
            raise ValueError("fault rates must be between 0 and 1 and add up to at most 1")
        if self.stall_ms < 0:
            raise ValueError("stall time cannot be negative")


class FaultInjector:
    def __init__(self, rates: FaultRates, rng: random.Random) -> None:
        self.rates = rates
        self._rng = rng
        self.counts = {fault: 0 for fault in Fault}

    def draw(self) -> Fault | None:
        rates = self.rates
        if not (rates.error or rates.ambiguous or rates.reset or rates.stall):
            return None
        roll = self._rng.random()
        for fault, rate in (
            (Fault.ERROR, rates.error),
            (Fault.AMBIGUOUS, rates.ambiguous),
            (Fault.RESET, rates.reset),
            (Fault.STALL, rates.stall),
        ):
            if roll < rate:
                self.counts[fault] += 1
                return fault
            roll -= rate
        return None

    def coin(self) -> bool:
        return self._rng.random() < 0.5
