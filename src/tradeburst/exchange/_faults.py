"""Seeded fault injection for order actions, so a client's recovery can be rehearsed and
replayed: the same seed and the same request order give the same faults.

- error: refused before anything is placed (HTTP 503): safe to send again.
- ambiguous: the order is placed and stored, then the answer is lost: either the
  connection is closed at once or the answer is held for the stall time and then dropped.
- reset: the connection is closed before anything is placed.
- stall: the answer comes, but only after the stall time.
- late: the request is held for the late time before anything else happens to it, as a
  gateway in front of a broker may hold bytes it has accepted; it is then carried out
  (and may meet one of the faults above) whether or not its client is still there.

Late is drawn on its own seeded stream as each request arrives, so switching it on does
not change which requests meet the other faults; those are drawn as each request reaches
the market, a held one when its hold ends.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass

__all__ = ["Fault", "FaultInjector", "FaultRates"]


class Fault(enum.StrEnum):
    ERROR = "error"
    AMBIGUOUS = "ambiguous"
    RESET = "reset"
    STALL = "stall"
    LATE = "late"


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRates:
    error: float = 0.0
    ambiguous: float = 0.0
    reset: float = 0.0
    stall: float = 0.0
    stall_ms: float = 1000.0
    late: float = 0.0
    """Independent of the others: a held request can meet any of them after."""
    late_ms: float = 1000.0

    def __post_init__(self) -> None:
        rates = (self.error, self.ambiguous, self.reset, self.stall)
        if any(not 0.0 <= rate <= 1.0 for rate in rates) or sum(rates) > 1.0:
            raise ValueError("fault rates must be between 0 and 1 and add up to at most 1")
        if not 0.0 <= self.late <= 1.0:
            raise ValueError("the late rate must be between 0 and 1")
        if not (0 <= self.stall_ms < math.inf and 0 <= self.late_ms < math.inf):
            raise ValueError("stall and late times must be finite and not negative")


class FaultInjector:
    def __init__(self, rates: FaultRates, rng: random.Random, late_rng: random.Random) -> None:
        self.rates = rates
        self._rng = rng
        self._late_rng = late_rng
        self.counts = {fault: 0 for fault in Fault}

    def late(self) -> bool:
        """Whether to hold the request that just arrived."""
        if not self.rates.late or self._late_rng.random() >= self.rates.late:
            return False
        self.counts[Fault.LATE] += 1
        return True

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
