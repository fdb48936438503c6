"""The shared throttle against a real `redis-server`: several throttles on one account,
as separate processes would hold them (each its own connection), never exceed a window
by the server's clock, whatever their own clocks say; and the account's refusals,
restarts, dead holders and connections are shared."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable

import pytest

from tradeburst.engine import (
    RedisLink,
    RedisThrottle,
    ThrottleLost,
    ThrottleUnreachable,
    throttle_url,
)
from tradeburst.limits import LimitClass, LimitProfile, Window

from _redis_server import RedisServer, free_port

ORDER = LimitClass.ORDER
SMALL = LimitProfile(name="small", limits={ORDER: Window(requests=5, seconds=0.2)}, connections=10)
"""5 orders in any 0.2 s: a run of a few dozen fills many windows in a second or two."""
ACCOUNT = "A0001"


@contextlib.asynccontextmanager
async def opened(
    url: str, profile: LimitProfile = SMALL, clock: Callable[[], float] | None = None
) -> AsyncIterator[RedisThrottle]:
    link = RedisLink(throttle_url(url))
    await link.open()
    throttle = RedisThrottle(profile, link, ACCOUNT, headroom_s=0.0, clock=clock)
    await throttle.start()
    try:
        yield throttle
    finally:
        await throttle.aclose()


def skewed(offset_s: float) -> Callable[[], float]:
    loop = asyncio.get_running_loop()
    return lambda: loop.time() + offset_s


def most_in_a_window(times: list[float], window_s: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window_s) for i, start in enumerate(times))


async def until_waiting(throttle: RedisThrottle, task: asyncio.Task[float]) -> None:
    """Until `throttle` was told to wait (it has no event for that: a test's question)."""
    async with asyncio.timeout(5.0):
        while throttle.waits == 0 and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def send_all(throttle: RedisThrottle, count: int, granted: list[float]) -> None:
    """`count` requests, one after another, each answered at once."""
    for _ in range(count):
        slots = await throttle.acquire(throttle.charges_for(ORDER))
        granted.append(throttle.granted_s)
        slots.release()


async def test_throttles_with_skewed_clocks_keep_one_window_together(redis_url: str) -> None:
    """Three throttles whose clocks differ by seconds never admit more than the limit in
    any window of the server's clock, and every request goes."""
    granted: list[float] = []
    async with (
        opened(redis_url, clock=skewed(-4.0)) as slow,
        opened(redis_url, clock=skewed(0.0)) as exact,
        opened(redis_url, clock=skewed(+7.5)) as fast,
    ):
        await asyncio.gather(*(send_all(t, 12, granted) for t in (slow, exact, fast)))
    assert len(granted) == 36
    assert most_in_a_window(granted, 0.2) <= 5
    assert slow.admitted == exact.admitted == fast.admitted == 12


async def test_a_refusal_for_rate_closes_the_class_for_every_process(redis_url: str) -> None:
    """One throttle's back-off after a refusal holds another throttle's request too."""
    async with opened(redis_url) as refused, opened(redis_url) as other:
        before = (await other.acquire(other.charges_for(ORDER))).throttle
        assert isinstance(before, RedisThrottle)
        opened_at = other.granted_s
        refused.penalize(ORDER, 0.5)
        await written(refused)  # the back-off is written by a task of its own
        await other.acquire(other.charges_for(ORDER))
        assert other.granted_s >= opened_at + 0.5


async def test_waiters_are_served_in_the_order_they_came(redis_url: str) -> None:
    """With the window full, a waiter of one process that came first goes before a
    waiter of another process that came later, by the server's clock."""
    async with opened(redis_url) as holder, opened(redis_url) as first, opened(redis_url) as second:
        held = [await holder.acquire(holder.charges_for(ORDER)) for _ in range(5)]

        async def wait(throttle: RedisThrottle) -> float:
            await throttle.acquire(throttle.charges_for(ORDER))
            return throttle.granted_s

        early = asyncio.create_task(wait(first))
        await until_waiting(first, early)
        late = asyncio.create_task(wait(second))
        await until_waiting(second, late)
        for slots in held:
            slots.release()
        early_s, late_s = await asyncio.gather(early, late)
        assert early_s < late_s


async def test_slots_of_a_holder_that_died_free_after_the_lease(redis_url: str) -> None:
    """A holder that stops renewing (killed) keeps its slots in flight one lease and one
    window past its last renewal (a request of it may have been received then), no more."""
    url = redis_url + "?lease_s=0.6"
    async with opened(url) as survivor:
        dead = RedisThrottle(SMALL, RedisLink(throttle_url(url)), ACCOUNT, headroom_s=0.0)
        await dead.link.open()
        await dead.start()
        await dead.acquire(dead.charges_for(ORDER))  # in flight, never answered
        held_from = dead.granted_s
        for _ in range(4):
            await dead.acquire(dead.charges_for(ORDER))
        for task in dead._background:  # it dies: nothing renews its leases any more
            task.cancel()
        await dead.link.aclose()
        await survivor.acquire(survivor.charges_for(ORDER))
        # At most the lease and the window past its last renewal; the slack is for a
        # starved machine, whose renewals and wake-ups run late.
        assert held_from + 0.6 + 0.2 <= survivor.granted_s < held_from + 0.6 + 0.2 + 3.0


async def test_a_restarted_server_closes_the_account_for_a_window(
    redis_server: RedisServer, redis_url: str
) -> None:
    """Redis restarted (its slots forgotten): the next request waits one window after
    the server came back, since the broker still counts what Redis forgot. Its uptime
    is whole seconds of a whole-second clock, so a server started late in a second
    reads 1 a moment later; the window still counts from the start."""
    profile = LimitProfile(name="one-second", limits={ORDER: Window(requests=5, seconds=1.0)})
    async with opened(redis_url, profile) as throttle:
        await throttle.acquire(throttle.charges_for(ORDER))
        await until_second_fraction(0.8)
        before_restart_s = time.time()
        redis_server.restart()
        await asyncio.sleep(math.ceil(time.time()) - time.time() + 0.01)  # uptime now reads 1
        await throttle.acquire(throttle.charges_for(ORDER))
        assert throttle.granted_s >= before_restart_s + 1.0


async def until_second_fraction(fraction: float) -> None:
    """Wait until the wall clock is `fraction` into a second (Redis's clock is the host's)."""
    now = time.time()
    await asyncio.sleep((fraction - now % 1.0) % 1.0)


async def test_a_server_out_of_reach_at_the_start_refuses_to_start() -> None:
    """No Redis: opening says so, naming the URL, before anything is sent."""
    link = RedisLink(throttle_url(f"redis://127.0.0.1:{free_port()}/0"))
    with pytest.raises(ThrottleUnreachable, match=r"redis://127\.0\.0\.1:\d+/0 cannot be reached"):
        await link.open()


async def test_a_server_lost_mid_run_stops_admitting(redis_server: RedisServer) -> None:
    """Redis gone for longer than the grace: admission fails, never falls back."""
    server = RedisServer(redis_server.directory / "lost")
    server.directory.mkdir()
    server.start()
    try:
        async with opened(server.fresh_url() + "?grace_s=0.3") as throttle:
            await throttle.acquire(throttle.charges_for(ORDER))
            server.stop()
            with pytest.raises(ThrottleLost, match=r"out of reach for 0\.3 s"):
                await throttle.acquire(throttle.charges_for(ORDER))
    finally:
        server.stop()


async def test_the_connection_limit_is_shared(redis_url: str) -> None:
    """Processes asking for 8 of 10 connections get 8, then 2, then only the one each is
    logged in on; once the first closes, its connections are free again."""
    async with opened(redis_url) as second, opened(redis_url) as third:
        async with opened(redis_url) as first:
            assert await first.connections(8) == 8
            assert await second.connections(8) == 2
            assert await third.connections(8) == 1
        async with opened(redis_url) as fourth:
            assert await fourth.connections(8) == 7


async def written(throttle: RedisThrottle) -> None:
    """Until every release `throttle` began is written (each runs as a task of its own)."""
    async with asyncio.timeout(10.0):
        while throttle._tasks:  # noqa: ASYNC110 - no event for it: a test's question
            await asyncio.sleep(0.005)


async def test_a_release_from_an_earlier_stamp_frees_the_slots_from_then(redis_url: str) -> None:
    """Slots released as counted when they were taken free one window after that, on the
    server's clock, not one window after the release: held past a window, they are free at
    once for another process; released from the answer, they would make it wait."""
    async with opened(redis_url) as holder, opened(redis_url) as other:
        taken_at = holder.now()
        held = [await holder.acquire(holder.charges_for(ORDER)) for _ in range(5)]
        first_granted = holder.granted_s
        await asyncio.sleep(SMALL.limits[ORDER].seconds * 1.5)  # held past one window
        for slots in held:
            slots.release(at=taken_at)
        await written(holder)
        await other.acquire(other.charges_for(ORDER))
        assert other.waits == 0
        assert other.granted_s >= first_granted + SMALL.limits[ORDER].seconds
        again = [await holder.acquire(holder.charges_for(ORDER)) for _ in range(4)]
        for slots in again:
            slots.release()  # from now: the account is full for one window
        await written(holder)
        await other.acquire(other.charges_for(ORDER))
        assert other.waits > 0
