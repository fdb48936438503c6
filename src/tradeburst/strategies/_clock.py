"""The exchange's time of day as the strategies see it: seconds since local midnight in
Asia/Taipei, estimated from the broker's clock once (lowest-round-trip sample) and then
carried by the local monotonic clock."""

from __future__ import annotations

from datetime import time as time_of_day

from tradeburst.clock import exchange_datetime, wall_ns

__all__ = ["ExchangeTime", "seconds_of_day", "seconds_text"]


def seconds_of_day(at: time_of_day) -> float:
    return at.hour * 3600 + at.minute * 60 + at.second + at.microsecond / 1e6


def seconds_text(seconds: float) -> str:
    """Seconds of the day as HH:MM:SS.mmm."""
    whole = int(seconds)
    return (
        f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{int(seconds % 1 * 1000):03d}"
    )


class ExchangeTime:
    """Exchange time from one offset: `offset_ns` = exchange ns − local wall ns."""

    def __init__(self, offset_ns: int = 0) -> None:
        self.offset_ns = offset_ns

    def now_ns(self) -> int:
        return wall_ns() + self.offset_ns

    def seconds_of_day(self) -> float:
        now = exchange_datetime(self.now_ns())
        return seconds_of_day(now.time())

    def seconds_until(self, at: time_of_day) -> float:
        """How long until `at` today (exchange time); ≤ 0 when it has passed."""
        return seconds_of_day(at) - self.seconds_of_day()
