"""A rush's opening: every request the connection budget allows at the target is taken
from the throttle and admitted ahead of it, and built whole by the broker
(`prepare_opening`). From `PRIORITY_LEAD_NS` before the target until the opening is out,
the loop's thread runs at raised priority (`_priority`). At the target the built requests
leave back to back (`_opening_burst`); those the broker could not build ahead follow one
at a time, each given the loop until its bytes are out (where the broker builds them at the
target, as Python 3.11's aiohttp does, each would otherwise queue behind every other one's
preparation). A stop during the wait sends nothing; a stop during the opening leaves the
rest unsent. Everything after the opening is the dispatcher's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from tradeburst.clock import mono_ns
from tradeburst.engine._dispatch_parts import DispatchParts
from tradeburst.engine._intent_ledger import Taken
from tradeburst.engine._opening_burst import write_opening
from tradeburst.engine._priority import RaisedWindow
from tradeburst.engine._request_sender import RequestSender
from tradeburst.engine._start import wait_until

__all__ = ["RushOpening"]

OPENING_LEAD_NS = 50_000_000
"""A rush's opening requests are taken from the throttle this long before the target
(holding a slot early only makes the throttle stricter)."""
PRIORITY_LEAD_NS = 200_000_000
"""The loop's thread is raised this long before a rush's target: asleep, it costs nothing,
and a wake-up at normal priority can be tens of ms late on a machine busy with other work."""
OPENING_SENDS_CAP_S = 0.1
"""How long after the target the opening may keep raised priority at most."""


class RushOpening:
    """The opening of one dispatch whose sending starts at a rush's target."""

    def __init__(
        self,
        parts: DispatchParts,
        sender: RequestSender,
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self._parts = parts
        self._sender = sender
        self._spawn = spawn
        """Run a request's send and settlement as a task of the dispatcher's."""
        self.under_way = False
        """True from just before the target until the opening requests are out."""

    async def open_at(self, start_at_ns: int) -> None:
        """Wait for the target `start_at_ns` (monotonic ns) and send the opening."""
        parts = self._parts
        await wait_until(start_at_ns - PRIORITY_LEAD_NS, spin_s=0.0)
        window = RaisedWindow(PRIORITY_LEAD_NS / 1e9 + parts.options.spin_s + OPENING_SENDS_CAP_S)
        window.enter()
        parts.stats.opening_priority = window.outcome
        try:
            # Raised, a sleep wakes on time however busy the machine is.
            await wait_until(start_at_ns - OPENING_LEAD_NS, spin_s=0.0)
            self.under_way = True
            await self._open_raised(start_at_ns)
        finally:
            window.leave()
            parts.broker.end_opening()
        self.under_way = False

    async def _open_raised(self, start_at_ns: int) -> None:
        parts, sender = self._parts, self._sender
        ledger, broker = parts.ledger, parts.broker
        opening: list[Taken] = []
        while len(opening) < parts.options.concurrency and (taken := ledger.take_request()):
            opening.append(taken)
        opening = [taken for taken in opening if await sender.admitted(taken[0], taken[2])]
        # Built whole now, so that at the target each only has to be written.
        await broker.prepare_opening(
            [([i.order for i in intents], request.batch) for intents, request, _ in opening]
        )
        await wait_until(start_at_ns, spin_s=parts.options.spin_s)
        parts.stats.started_ns = mono_ns()
        if parts.stop.stopping:  # Ctrl-C during the wait: nothing goes
            for intents, _, slots in reversed(opening):
                slots.release()
                ledger.requeue(intents)
            return
        burst = write_opening(broker, opening, parts.throttle.now)
        for (intents, request, slots), sent_ns, sent_at in burst.written:
            sender.count_sent(intents, sent_ns, opening=True)
            self._spawn(sender.answered(intents, request, slots, sent_ns, sent_at))
        for intents, request, slots in burst.unwritten:
            if parts.stop.stopping:  # Ctrl-C during the opening: the rest stays unsent
                slots.release()
                ledger.requeue(intents)
                continue
            self._spawn(sender.send(intents, request, slots, opening=True))
            await asyncio.sleep(0)  # the task stamps and builds its request…
            await asyncio.sleep(0)  # …and its body is written
