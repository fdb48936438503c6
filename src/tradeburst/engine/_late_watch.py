"""The late-duplicate watch: the net under the request-age rule.

An order whose answer was lost is sent again only once its first request is older than
the request age and the broker still lacks it, on the assumption that a request that has
not reached the broker by then never will. A network can break that assumption (a
gateway holding bytes for minutes). So after the last such resend, for one request age,
the account's orders are looked at every few seconds: two orders under one client order
id mean the old request landed after all. The one the run did not settle on is cancelled
at once if it still works, and every one found is reported with what it had filled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable

import msgspec

from tradeburst.brokers import AnswerLost, Broker, BrokerError, OrderState
from tradeburst.engine._intents import Intent
from tradeburst.engine._reconcile import refused_for_rate
from tradeburst.engine._throttle_api import AccountThrottle
from tradeburst.limits import LimitClass
from tradeburst.summary import LateDuplicate

__all__ = ["WATCH_POLL_S", "duplicates_of", "watch_late_duplicates"]

log = logging.getLogger(__name__)

WATCH_POLL_S = 2.0
"""How often the account is looked at while the watch runs (one query each time)."""


def duplicates_of(
    intents: Iterable[Intent], records: Iterable[OrderState]
) -> list[tuple[Intent, OrderState, str | None]]:
    """Each broker order that is a second one under an intent's client order id, with the
    intent and the order number that stands: the one the run settled on, else the
    earliest. A record that is no order (refused, or refused for rate) is no duplicate."""
    ours = {intent.user_def: intent for intent in intents}
    placed: dict[str, list[OrderState]] = {}
    for record in records:
        if record.user_def in ours and record.accepted and not refused_for_rate(record):
            placed.setdefault(record.user_def, []).append(record)
    found: list[tuple[Intent, OrderState, str | None]] = []
    for user_def, orders in placed.items():
        if len(orders) < 2:
            continue
        intent = ours[user_def]
        numbers = [o.order_no for o in orders]
        kept = intent.order_no if intent.order_no in numbers else min(numbers, key=str)
        found.extend((intent, o, kept) for o in orders if o.order_no != kept)
    return found


async def watch_late_duplicates(
    broker: Broker,
    throttle: AccountThrottle,
    intents: list[Intent],
    until_wall_ns: int,
    stop: asyncio.Event,
    *,
    age_s: float,
    poll_s: float = WATCH_POLL_S,
) -> list[LateDuplicate]:
    """Look at the account until `until_wall_ns` (once more at the end), cancelling and
    reporting every late duplicate of `intents`. A cancel whose answer is lost is checked
    on the next look and sent again if the duplicate still works, and the watch goes on
    for one request age after it. A stop ends the watch early."""
    reported: dict[str | None, LateDuplicate] = {}
    while True:
        last_look = time.time_ns() >= until_wall_ns
        for intent, record, kept in duplicates_of(intents, await _orders(broker, throttle)):
            known = reported.get(record.order_no)
            if known is not None and (known.cancelled or not record.is_open):
                reported[record.order_no] = _as_found(known, record)
                continue
            duplicate, unsure = await _cancel(broker, throttle, intent, record, kept)
            if known is None:
                log.error(
                    "late duplicate: %s placed twice (%s stands, %s arrived late): %s",
                    intent.user_def, kept, record.order_no, duplicate.note,
                )  # fmt: skip
            reported[record.order_no] = duplicate
            if unsure:  # the cancel may still land, or not: look again
                until_wall_ns = max(until_wall_ns, time.time_ns() + int(age_s * 1e9))
                last_look = False
        if last_look or stop.is_set():
            return list(reported.values())
        wait_s = min(poll_s, max(0.0, (until_wall_ns - time.time_ns()) / 1e9))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait_s)


def _as_found(known: LateDuplicate, record: OrderState) -> LateDuplicate:
    """A duplicate seen again, no longer working: cancelled at last, or done."""
    if known.cancelled or not record.status.is_cancelled:
        return known
    return msgspec.structs.replace(known, cancelled=True, note="cancelled")


async def _orders(broker: Broker, throttle: AccountThrottle) -> list[OrderState]:
    slots = await throttle.acquire(throttle.charges_for(LimitClass.QUERY))
    try:
        return await broker.order_results()
    except BrokerError as exc:  # looked at again at the next poll
        log.warning("late-duplicate watch: the account's orders could not be read (%s)", exc)
        return []
    finally:
        slots.release()


async def _cancel(
    broker: Broker, throttle: AccountThrottle, intent: Intent, record: OrderState, kept: str | None
) -> tuple[LateDuplicate, bool]:
    """Cancel `record` if it still works; the duplicate as reported, and whether the
    cancel's fate is unknown (its answer lost)."""
    cancelled, unsure, note = False, False, "already done: nothing left to cancel"
    if record.is_open and record.order_no is not None:
        slots = await throttle.acquire(throttle.charges_for(LimitClass.ORDER))
        try:
            answer = await broker.cancel(record.order_no)
            cancelled = answer.status.is_cancelled
            note = "cancelled" if cancelled else f"cancel refused: {answer.message or ''}"
        except AnswerLost as exc:
            unsure, note = True, f"cancel sent, no answer yet: {exc}"
        except BrokerError as exc:
            note = f"cancel failed: {exc}"
        finally:
            slots.release()
    duplicate = LateDuplicate(
        user_def=intent.user_def,
        symbol=record.symbol or intent.order.symbol,
        order_no=record.order_no,
        kept_order_no=kept,
        filled_qty=record.filled_qty,
        cancelled=cancelled,
        note=note,
    )
    return duplicate, unsure
