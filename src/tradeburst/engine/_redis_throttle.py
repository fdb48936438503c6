"""`RedisThrottle`: the account's throttle shared by every process and host that sends on
it, exact by the same rule as `Throttle` (a request holds its slot from before it is sent
until one window after its answer; every class it needs is charged at once).

This process keeps its own view (the `Throttle` it extends), which the planner and the
fair share read as before; Redis is the authority. Slots taken from the view are
`admit`ted by `lua/acquire.lua` before their request goes: one script call checks and
charges every class atomically on the server's clock, or says how long to wait (or that
only a release can make room), and the request waits, in turn with every process
(tickets), for that time or a published wake-up. A release rescores the slots to the
answer (or the earlier time the broker counted the request by, sent as how long ago that
was, so the server subtracts it from its own clock: no clocks are compared) plus the
window and wakes the waiters. Slots in flight carry a lease this process
renews, so those of a process killed mid-request free after the lease. A refusal for rate
closes the class for every process; a Redis that restarted (its keys gone, a new run id)
closes the account for one window, since the broker still counts what it forgot.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from tradeburst.engine._redis_link import AccountKeys, RedisLink
from tradeburst.engine._throttle import DEFAULT_HEADROOM_S, Charge, Slots, Throttle
from tradeburst.engine._throttle_url import ThrottleLost
from tradeburst.limits import LimitClass, LimitProfile

__all__ = ["RedisThrottle"]

log = logging.getLogger(__name__)

WAITER_LEASE_S = 1.0
"""A waiter that has not asked again for this long is gone: the next in turn goes."""
WAIT_POLL_S = 0.25
"""A waiter asks again at least this often (a wake-up may be lost with a connection)."""


class RedisThrottle(Throttle):
    def __init__(
        self,
        profile: LimitProfile,
        link: RedisLink,
        account: str,
        *,
        headroom_s: float = DEFAULT_HEADROOM_S,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(profile, headroom_s=headroom_s, clock=clock)
        self.link = link
        self.keys = AccountKeys(account)
        self.lease_s = link.url.lease_s
        longest_s = max((w.seconds for w in profile.limits.values()), default=0.0)
        self._hold_s = self.lease_s + longest_s + headroom_s
        """A slot in flight is held this long past its last renewal: a holder killed just
        after a renewal may have had a request received then, which the broker counts for
        one window more."""
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._names = itertools.count(1)
        self._epoch = ""
        self._in_flight: dict[str, tuple[Charge, ...]] = {}
        self._connections: list[str] = []
        self._locks: dict[frozenset[LimitClass], asyncio.Lock] = {}
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._background: list[asyncio.Task[None]] = []
        self.admitted = 0
        self.waits = 0
        """Script calls that answered "wait" (for the benchmark and the tests)."""
        self.granted_s = 0.0
        """The server's time of the last admission."""

    async def start(self) -> None:
        """Mark the keys as this server's, then listen for wake-ups and renew leases."""
        await self._claim_epoch()
        self._background = [
            asyncio.create_task(self.link.listen(self.keys.channel, self._wake_all)),
            asyncio.create_task(self._renew_forever()),
        ]

    async def aclose(self) -> None:
        """Answer what is pending (releases), give the connections back, disconnect."""
        self.link.closing = True
        for task in self._background:
            task.cancel()
        # A pub/sub read may swallow its cancellation: it ends at its next timeout.
        pending = [*self._background, *self._tasks]
        if pending:
            await asyncio.wait(pending, timeout=2.0)
        self._background = []
        await self.link.forget(self.keys.connections, self._connections)
        self._connections = []
        await self.link.aclose()

    # -- the account's slots -----------------------------------------------------------

    async def acquire(self, charges: tuple[Charge, ...]) -> Slots:
        slots = await super().acquire(charges)
        try:
            await self._admit(slots)
        except BaseException:
            slots.release()
            raise
        return slots

    async def _admit(self, slots: Slots) -> None:
        """Wait in turn until the account has room for `slots`, then charge them."""
        if slots.shared or not slots.charges:
            return
        name = f"{self._owner}:{next(self._names)}"
        lock = self._locks.setdefault(
            frozenset(c.limit_class for c in slots.charges), asyncio.Lock()
        )
        async with lock:  # this process's waiters for the same classes ask one at a time
            ticket = 0
            while True:
                wake = self._wake  # taken before asking: a wake-up meanwhile is not lost
                code, value, ticket = await self._ask(name, slots.charges, ticket)
                if code == 1:
                    self.granted_s = float(value)
                    break
                if code == -1:  # the keys are not this server's: it restarted
                    await self._claim_epoch()
                    continue
                self.waits += 1
                wait_s = float(value)
                self._learn(slots.charges, wait_s)
                timeout = WAIT_POLL_S if wait_s < 0 else min(wait_s, WAIT_POLL_S)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await wake.wait()
        slots.shared = name
        self._in_flight[name] = slots.charges
        self.admitted += 1

    def _learn(self, charges: tuple[Charge, ...], wait_s: float) -> None:
        """The account is full until `wait_s` from now: so this process's view says too,
        and its planner turns to a class that has room (single orders while the batch
        calls are taken) instead of queueing more behind this one."""
        if wait_s > 0:
            until = self.now() + wait_s
            for charge in charges:
                window = self._windows[charge.limit_class]
                window.blocked_until = max(window.blocked_until, until)

    async def _ask(
        self, name: str, charges: tuple[Charge, ...], ticket: int
    ) -> tuple[int, str, int]:
        keys = self.keys
        args: list[Any] = [
            self._epoch, ticket, name, self._hold_s, WAITER_LEASE_S, self.headroom_s,
            keys.channel,
        ]  # fmt: skip
        for charge in charges:
            window = self.profile.limits[charge.limit_class]
            args += [charge.limit_class.value, window.requests, charge.weight, window.seconds]
        answer = await self.link.run(
            "acquire",
            [keys.epoch, keys.blocked, keys.tickets, keys.queue, keys.waiters,
             *(keys.slots(c.limit_class) for c in charges)],
            args,
        )  # fmt: skip
        code, value, ticket = answer
        return int(code), value.decode() if isinstance(value, bytes) else str(value), int(ticket)

    def _release(self, slots: Slots, at: float | None = None) -> None:
        super()._release(slots, at)
        charges = self._in_flight.pop(slots.shared, None)
        if charges is None:
            return
        # The script runs after this moment, so the server's clock then, less `ago_s`, is
        # no earlier than `at`.
        ago_s = 0.0 if at is None else max(0.0, self.now() - at)
        args: list[Any] = [slots.shared, self.headroom_s, self.keys.channel, f"{ago_s:.6f}"]
        for charge in charges:
            args += [charge.weight, self.profile.limits[charge.limit_class].seconds]
        keys = [self.keys.slots(c.limit_class) for c in charges]
        self._spawn(self.link.run("release", keys, args), "release")

    def penalize(self, limit_class: LimitClass, backoff_s: float) -> None:
        super().penalize(limit_class, backoff_s)
        self._spawn(self.link.run("block", [self.keys.blocked], [limit_class.value, backoff_s]),
                    "block")  # fmt: skip

    # -- the broker's connection limit -------------------------------------------------

    async def connections(self, wanted: int) -> int:
        """Take up to `wanted` of the account's connections, as many as are free, and the
        one this process logged in on in any case; how many it may use. A profile with no
        connection limit takes what it wants."""
        limit = self.profile.connections
        if limit is None:
            return wanted
        took = int(await self.link.run(
            "connections", [self.keys.connections],
            [self._owner, wanted, limit, self.lease_s, 0],
        ))  # fmt: skip
        self._connections = [f"{self._owner}:{k}" for k in range(1, took + 1)]
        return took

    # -- keeping it true ---------------------------------------------------------------

    async def _claim_epoch(self) -> None:
        run_id, uptime_s = await self.link.server()
        windows = [w.seconds for w in self.profile.limits.values()]
        deny_s = max(windows, default=0.0) + self.headroom_s
        armed = await self.link.run(
            "arm", [self.keys.epoch, self.keys.blocked], [run_id, uptime_s, deny_s]
        )
        if armed and self._epoch:
            log.warning("the shared throttle's Redis restarted: the account waits one window")
        self._epoch = run_id

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            keys = [self.keys.connections]
            args: list[Any] = [self._hold_s] + [v for m in self._connections for v in (1, m)]
            for name, charges in list(self._in_flight.items()):
                for charge in charges:
                    keys.append(self.keys.slots(charge.limit_class))
                    args += [
                        v for k in range(1, charge.weight + 1) for v in (len(keys), f"{name}:{k}")
                    ]
            try:
                await self.link.run("renew", keys, args)
            except ThrottleLost:
                return  # the next admission says so
            except Exception as exc:  # a renewal missed is caught up by the next
                log.warning("could not renew the shared throttle's leases: %s", exc)

    def _wake_all(self) -> None:
        wake, self._wake = self._wake, asyncio.Event()
        wake.set()

    def _spawn(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._done(done, what))

    def _done(self, task: asyncio.Task[Any], what: str) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("shared throttle %s failed: %s", what, task.exception())
