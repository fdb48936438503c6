"""The trading day of the regular board (Asia/Taipei) and what each phase accepts.

Pre-open 08:30–09:00 collects orders for the opening auction at 09:00; continuous trading
runs 09:00–13:25; the closing call collects 13:25–13:30 for the closing auction at 13:30.
Market, IOC and FOK orders are taken only in continuous trading; the call phases take
limit ROD orders (and the limit-style LimitUp, LimitDown and Reference prices).
"""

from __future__ import annotations

import enum
from datetime import time

from tradeburst.model import PriceType, TimeInForce

__all__ = [
    "CLOSE_AUCTION",
    "CLOSING_CALL_START",
    "OPEN",
    "PRE_OPEN_START",
    "Phase",
    "order_type_problem",
    "phase_at",
]

PRE_OPEN_START = time(8, 30)
OPEN = time(9, 0)
CLOSING_CALL_START = time(13, 25)
CLOSE_AUCTION = time(13, 30)


class Phase(enum.StrEnum):
    CLOSED = "closed"
    PRE_OPEN = "pre_open"
    CONTINUOUS = "continuous"
    CLOSING_CALL = "closing_call"

    @property
    def accepts_orders(self) -> bool:
        return self is not Phase.CLOSED

    @property
    def is_call(self) -> bool:
        """Orders collect for an auction instead of matching on arrival."""
        return self in (Phase.PRE_OPEN, Phase.CLOSING_CALL)


def phase_at(time_of_day: time) -> Phase:
    if PRE_OPEN_START <= time_of_day < OPEN:
        return Phase.PRE_OPEN
    if OPEN <= time_of_day < CLOSING_CALL_START:
        return Phase.CONTINUOUS
    if CLOSING_CALL_START <= time_of_day < CLOSE_AUCTION:
        return Phase.CLOSING_CALL
    return Phase.CLOSED


def order_type_problem(phase: Phase, price_type: PriceType, tif: TimeInForce) -> str | None:
    """Why this phase refuses this kind of order, or None if it takes it."""
    if not phase.accepts_orders:
        return "the market is closed (orders are taken 08:30-13:30 Asia/Taipei)"
    if phase.is_call:
        if price_type is PriceType.MARKET:
            return f"market orders are taken only in continuous trading, not in {phase}"
        if tif is not TimeInForce.ROD:
            return f"{tif} orders are taken only in continuous trading, not in {phase}"
    return None
