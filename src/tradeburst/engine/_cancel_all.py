"""The kill switch: cancel every order still working on the account, whoever placed it,
or only those of one symbol, one side or one run, through the throttle.

A round looks at the account (one query), cancels each matching order (an order action
each, as many at once as the broker has connections), and the next round looks again.
Rounds go on while a look finds orders and a cancel may still help (one was not sent, or
its answer was lost), with at most `MAX_CANCEL_ROUNDS` rounds of cancels; the last look
says what is left working, and only an empty one is success. A cancel whose answer was
lost may still reach the broker, which counts it then: its throttle slot stays held until
the whole job ends. Every order found ends in one of three lists:
cancelled, not cancelled with the reason (filled meanwhile, refused with the broker's
words, unknown to the broker, no answer), or still working.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from tradeburst.brokers import (
    AccountBroker,
    AnswerLost,
    BrokerError,
    BrokerFatal,
    NotSent,
    RateLimited,
    WorkingOrder,
)
from tradeburst.engine._throttle import Slots, Throttle
from tradeburst.limits import LimitClass, LimitProfile
from tradeburst.model import Side

__all__ = ["MAX_CANCEL_ROUNDS", "CancelAttempt", "CancelReport", "cancel_all"]

log = logging.getLogger(__name__)

MAX_CANCEL_ROUNDS = 3
RATE_BACKOFF_S = 1.0
"""After a rate refusal, the order class stays closed for one Fubon window."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelAttempt:
    order: WorkingOrder
    cancelled: bool
    reason: str
    """`cancelled`, or why not."""
    retry: bool = False
    """Whether another round may still cancel it (not sent, or no answer)."""


@dataclass(slots=True, kw_only=True)
class CancelReport:
    found: list[WorkingOrder] = field(default_factory=list)
    """Every matching order a look found working, in the order first seen."""
    attempts: dict[str, CancelAttempt] = field(default_factory=dict)
    """The last cancel of each order, by order number."""
    left: list[WorkingOrder] = field(default_factory=list)
    """Still working at the last look."""
    dry_run: bool = False

    @property
    def cancelled(self) -> list[CancelAttempt]:
        return [a for a in self.attempts.values() if a.cancelled]

    @property
    def not_cancelled(self) -> list[CancelAttempt]:
        """Orders the switch could not cancel; those a later look found done are said so."""
        working = {o.order_no for o in self.left}
        found = []
        for attempt in self.attempts.values():
            if attempt.cancelled:
                continue
            if attempt.order.order_no not in working:
                done = f"no longer working ({attempt.reason})"
                attempt = CancelAttempt(order=attempt.order, cancelled=False, reason=done)
            found.append(attempt)
        return found

    @property
    def clear(self) -> bool:
        """Nothing matching is left working."""
        return not self.left


def matching(
    orders: Sequence[WorkingOrder],
    *,
    symbol: str | None = None,
    side: Side | None = None,
    run_id: str | None = None,
) -> list[WorkingOrder]:
    """The orders of `symbol`, `side` and run `run_id` (client ids start with it)."""
    return [
        o
        for o in orders
        if (symbol is None or o.symbol == symbol)
        and (side is None or o.side is side)
        and (run_id is None or (o.user_def or "").startswith(run_id))
    ]


async def cancel_all(
    broker: AccountBroker,
    *,
    symbol: str | None = None,
    side: Side | None = None,
    run_id: str | None = None,
    profile: LimitProfile | None = None,
    throttle: Throttle | None = None,
    dry_run: bool = False,
) -> CancelReport:
    """Cancel every working order of `broker`'s account that matches; `broker` is
    connected. With `dry_run`, only look. `throttle` is the account's, when a run shares
    it; else one is made from `profile` (default: the broker's)."""
    throttle = throttle or Throttle(profile or broker.profile)
    report = CancelReport(dry_run=dry_run)
    seen: set[str] = set()
    lost: list[Slots] = []
    try:
        for round_no in range(1, MAX_CANCEL_ROUNDS + 2):  # each round's look, and a last one
            working = await _look(broker, throttle, symbol=symbol, side=side, run_id=run_id)
            report.left = working
            for order in working:
                if order.order_no not in seen:
                    seen.add(order.order_no)
                    report.found.append(order)
            if dry_run or not working:
                break
            if round_no > MAX_CANCEL_ROUNDS or not _may_help(working, report.attempts):
                break
            connections = asyncio.Semaphore(max(1, broker.capabilities.connections))
            answers = await asyncio.gather(
                *(_cancel(broker, throttle, connections, order, lost) for order in working)
            )
            report.attempts.update((a.order.order_no, a) for a in answers)
    finally:
        for slots in lost:
            slots.release()
    return report


def _may_help(working: list[WorkingOrder], attempts: dict[str, CancelAttempt]) -> bool:
    """Whether cancelling `working` again can change anything: an order not tried yet, or
    one whose cancel was not sent or not answered. A refused cancel stays refused."""
    tried = [attempts.get(o.order_no) for o in working]
    return any(a is None or a.retry for a in tried)


async def _look(
    broker: AccountBroker,
    throttle: Throttle,
    *,
    symbol: str | None,
    side: Side | None,
    run_id: str | None,
) -> list[WorkingOrder]:
    slots = await throttle.acquire(throttle.charges_for(LimitClass.QUERY))
    try:
        orders = await broker.working_orders()
    finally:
        slots.release()
    return matching(orders, symbol=symbol, side=side, run_id=run_id)


async def _cancel(
    broker: AccountBroker,
    throttle: Throttle,
    connections: asyncio.Semaphore,
    order: WorkingOrder,
    lost: list[Slots],
) -> CancelAttempt:
    """Cancel `order`; the slots of a cancel whose answer was lost go to `lost`."""
    async with connections:
        slots = await throttle.acquire(throttle.charges_for(LimitClass.ORDER))
        may_land = False
        try:
            answer = await broker.cancel(order.order_no)
        except RateLimited as exc:
            throttle.penalize(LimitClass.ORDER, RATE_BACKOFF_S)
            return CancelAttempt(order=order, cancelled=False, reason=f"rate: {exc}", retry=True)
        except NotSent as exc:
            return CancelAttempt(order=order, cancelled=False, reason=f"not sent: {exc}",
                                 retry=True)  # fmt: skip
        except AnswerLost as exc:
            lost.append(slots)
            may_land = True
            return CancelAttempt(order=order, cancelled=False, reason=f"no answer: {exc}",
                                 retry=True)  # fmt: skip
        except BrokerFatal as exc:
            return CancelAttempt(order=order, cancelled=False, reason=f"unknown: {exc}")
        except BrokerError as exc:
            return CancelAttempt(order=order, cancelled=False, reason=f"failed: {exc}")
        finally:
            if not may_land:
                slots.release()
    if answer.status.is_cancelled:
        return CancelAttempt(order=order, cancelled=True, reason="cancelled")
    return CancelAttempt(
        order=order, cancelled=False, reason=f"refused: {answer.message or answer.status.name}"
    )
