"""What the shared throttle costs a request on loopback: one admission (the acquire
script's round trip) and one release (the release script's), beside the same acquire and
release on this process's own throttle, measured in one run. The Redis server is the one
`_redis_process` starts; the limits are set so wide that nothing ever waits."""

from __future__ import annotations

import statistics
import time
from typing import Any

from tradeburst.engine import RedisLink, RedisThrottle, Throttle, throttle_url
from tradeburst.limits import LimitClass, LimitProfile, Window

__all__ = ["measure_cost"]

WIDE = LimitProfile(name="wide", limits={LimitClass.ORDER: Window(requests=1_000_000, seconds=1.0)})


async def measure_cost(url: str, rounds: int) -> dict[str, Any]:
    """Median and p99 µs of an acquire and a release, shared and local."""
    local = Throttle(WIDE, headroom_s=0.0)
    local_acquire, local_release = [], []
    for _ in range(rounds):
        started = time.perf_counter_ns()
        slots = await local.acquire(local.charges_for(LimitClass.ORDER))
        acquired = time.perf_counter_ns()
        slots.release()
        local_acquire.append(acquired - started)
        local_release.append(time.perf_counter_ns() - acquired)
    link = RedisLink(throttle_url(url))
    await link.open()
    shared = RedisThrottle(WIDE, link, "bench-cost", headroom_s=0.0)
    await shared.start()
    shared_acquire, shared_release = [], []
    try:
        for _ in range(rounds):
            started = time.perf_counter_ns()
            slots = await shared.acquire(shared.charges_for(LimitClass.ORDER))
            acquired = time.perf_counter_ns()
            # The release script as the throttle sends it, awaited here to time it.
            args: list[Any] = [slots.shared, 0.0, shared.keys.channel, 0.0, 1, 1.0]
            shared._in_flight.pop(slots.shared)
            await link.run("release", [shared.keys.slots(LimitClass.ORDER)], args)
            slots.release()
            shared_acquire.append(acquired - started)
            shared_release.append(time.perf_counter_ns() - acquired)
    finally:
        await shared.aclose()
    figures = {
        "local_acquire_us": _us(local_acquire),
        "local_release_us": _us(local_release),
        "redis_acquire_us": _us(shared_acquire),
        "redis_release_us": _us(shared_release),
    }
    figures["redis_acquire_p99_us"] = _us(shared_acquire, 0.99)
    figures["redis_over_local_acquire"] = round(
        figures["redis_acquire_us"] / max(figures["local_acquire_us"], 0.001), 1
    )
    return figures


def _us(samples_ns: list[int], quantile: float = 0.5) -> float:
    ordered = sorted(samples_ns)
    if quantile == 0.5:
        return round(statistics.median(ordered) / 1000, 1)
    return round(ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] / 1000, 1)
