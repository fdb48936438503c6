"""Opening a run's throttle: this process's own (`Throttle`), or, given a `--throttle`
URL, the account's shared one on Redis (`RedisThrottle`). Redis is reached first, before
the broker, so a run that cannot share its limits refuses to start with nothing sent; a
shared throttle also bounds the run's connections by the account's, taken from a
semaphore every process on the account shares."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

from tradeburst.engine._dispatch_terms import DispatchOptions
from tradeburst.engine._redis_link import RedisLink
from tradeburst.engine._redis_throttle import RedisThrottle
from tradeburst.engine._throttle import Throttle
from tradeburst.engine._throttle_url import ThrottleUrl
from tradeburst.limits import LimitProfile

__all__ = ["account_throttle", "shared_terms", "throttle_link"]


@contextlib.asynccontextmanager
async def throttle_link(url: ThrottleUrl | None) -> AsyncIterator[RedisLink | None]:
    """The connection to the shared throttle's Redis (None for a throttle of this process);
    `ThrottleUnreachable` if Redis does not answer."""
    if url is None:
        yield None
        return
    link = RedisLink(url)
    await link.open()
    try:
        yield link
    finally:
        await link.aclose()


@contextlib.asynccontextmanager
async def account_throttle(
    profile: LimitProfile, account: str, headroom_s: float, link: RedisLink | None
) -> AsyncIterator[Throttle]:
    """The throttle a run sends through: shared through `link`, else this process's."""
    if link is None:
        yield Throttle(profile, headroom_s=headroom_s)
        return
    throttle = RedisThrottle(profile, link, account, headroom_s=headroom_s)
    await throttle.start()
    try:
        yield throttle
    finally:
        await throttle.aclose()


async def shared_terms(throttle: Throttle, terms: DispatchOptions) -> DispatchOptions:
    """`terms` with no more requests in flight than the connections this process holds of
    the account's (waiting for one if every one is taken)."""
    if not isinstance(throttle, RedisThrottle):
        return terms
    held = await throttle.connections(terms.concurrency)
    return dataclasses.replace(terms, concurrency=held)
