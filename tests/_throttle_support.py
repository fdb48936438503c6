"""What the throttle and planner tests share: limit classes, broker profiles, a tiny
profile every sequence fills, and a throttle on a clock the test moves by hand."""

from __future__ import annotations

from tradeburst.engine._throttle import Charge, Throttle
from tradeburst.limits import PROFILES, LimitClass, LimitProfile, Window

ORDER, BATCH, QUERY = LimitClass.ORDER, LimitClass.BATCH, LimitClass.QUERY
FUBON, SHIOAJI, NONE = PROFILES["fubon"], PROFILES["shioaji"], PROFILES["none"]
TINY = LimitProfile(name="tiny", limits={ORDER: Window(requests=3, seconds=0.1)})
"""3 orders per 0.1 s: small enough that every sequence fills its window."""


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fake_throttle(profile: LimitProfile, **kwargs: float) -> tuple[Throttle, FakeClock]:
    clock = FakeClock()
    return Throttle(profile, clock=clock, **kwargs), clock


def one_charge(limit_class: LimitClass, weight: int = 1) -> tuple[Charge, ...]:
    return (Charge(limit_class, weight),)
