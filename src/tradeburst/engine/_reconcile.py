"""Reconciliation: what the broker has of a run, found by client order id.

The broker's order results are the truth about an order whose answer was lost, or that a
crash left unsettled: an intent whose `user_def` the broker has is settled from that
record; one it does not have was never placed and may be sent. A record of a rate-limit
refusal (Fubon answers rate refusals as failed orders) is no order at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from tradeburst.brokers import OrderState
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.limits import RATE_LIMIT_MESSAGE

__all__ = ["apply_answer", "match_records", "refused_for_rate"]


def refused_for_rate(answer: OrderState) -> bool:
    """A failed result that is a rate-limit refusal: nothing was placed."""
    return not answer.accepted and RATE_LIMIT_MESSAGE in (answer.message or "")


def match_records(
    intents: Iterable[Intent], records: Iterable[OrderState]
) -> tuple[list[tuple[Intent, OrderState]], list[Intent]]:
    """The intents the broker has, each with its record, and those it does not have."""
    by_user_def = {r.user_def: r for r in records if r.user_def and not refused_for_rate(r)}
    found: list[tuple[Intent, OrderState]] = []
    missing: list[Intent] = []
    for intent in intents:
        record = by_user_def.get(intent.user_def)
        if record is None:
            missing.append(intent)
        else:
            found.append((intent, record))
    return found, missing


def apply_answer(intent: Intent, answer: OrderState, answered_wall_ns: int) -> None:
    """Settle `intent` from the broker's answer or record: accepted or rejected, for good."""
    intent.state = IntentState.ACCEPTED if answer.accepted else IntentState.REJECTED
    intent.order_no = answer.order_no
    intent.status = int(answer.status)
    intent.message = answer.message
    intent.last_time = answer.last_time
    intent.answered_ns = answered_wall_ns
