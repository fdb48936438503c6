"""Reconciliation: what the broker has of a run, found by client order id (and, the same
way, which answer of a batch is whose: `pair_answers`).

The broker's order results are the truth about an order whose answer was lost, or that a
crash left unsettled: an intent whose `user_def` the broker has is settled from that
record; one it does not have was never placed and may be sent. A record of a rate-limit
refusal (Fubon answers rate refusals as failed orders) is no order at all. A record in an
undecided status says the broker holds the order but its back end has not decided yet:
such an order must be neither sent again nor called accepted, only asked about later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, NamedTuple

from tradeburst.brokers import OrderState
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.limits import RATE_LIMIT_MESSAGE
from tradeburst.model import OrderStatus

__all__ = [
    "UNDECIDED",
    "UNDECIDED_MESSAGE",
    "Matched",
    "apply_answer",
    "match_records",
    "pair_answers",
    "refused_for_rate",
]

UNDECIDED: Final = frozenset(
    {OrderStatus.SENT_TO_BACKEND, OrderStatus.BACKEND_SENDING, OrderStatus.CONNECTION_TIMEOUT}
)
"""On its way to the back end (4, 8), which may still refuse it, or lost between the two
(9, which Fubon says to query again later)."""
UNDECIDED_MESSAGE: Final = "the broker holds it, undecided"


class Matched(NamedTuple):
    """Intents sorted by what the broker's records say of them."""

    decided: list[tuple[Intent, OrderState]]
    """The broker has them, accepted or rejected: each with its record."""
    undecided: list[Intent]
    """The broker has them, with no outcome yet: never to be sent again."""
    missing: list[Intent]
    """The broker does not have them: never placed."""


def refused_for_rate(answer: OrderState) -> bool:
    """A failed result that is a rate-limit refusal: nothing was placed."""
    return not answer.accepted and RATE_LIMIT_MESSAGE in (answer.message or "")


def match_records(intents: Iterable[Intent], records: Iterable[OrderState]) -> Matched:
    by_user_def = {r.user_def: r for r in records if r.user_def and not refused_for_rate(r)}
    matched = Matched([], [], [])
    for intent in intents:
        record = by_user_def.get(intent.user_def)
        if record is None:
            matched.missing.append(intent)
        elif record.status in UNDECIDED:
            matched.undecided.append(intent)
        else:
            matched.decided.append((intent, record))
    return matched


def apply_answer(intent: Intent, answer: OrderState, answered_wall_ns: int) -> None:
    """Settle `intent` from the broker's answer or decided record: accepted or rejected,
    for good."""
    intent.state = IntentState.ACCEPTED if answer.accepted else IntentState.REJECTED
    intent.order_no = answer.order_no
    intent.status = int(answer.status)
    intent.message = answer.message
    intent.last_time = answer.last_time
    intent.answered_ns = answered_wall_ns


def pair_answers(
    intents: list[Intent], answers: list[OrderState]
) -> tuple[list[tuple[Intent, OrderState]], list[Intent]]:
    """Each intent with its answer, and the intents no answer names. A broker may answer a
    batch out of order, so answers are paired by `user_def`; by position only when none
    carries one."""
    if len(answers) != len(intents):
        raise ValueError(f"{len(intents)} orders sent, {len(answers)} answers")
    if len(intents) == 1 and answers[0].user_def in (None, intents[0].user_def):
        return [(intents[0], answers[0])], []  # the common case, kept cheap
    if not any(a.user_def for a in answers):
        return list(zip(intents, answers, strict=True)), []
    by_user_def = {a.user_def: a for a in answers if a.user_def}
    pairs = [(i, by_user_def[i.user_def]) for i in intents if i.user_def in by_user_def]
    unnamed = [i for i in intents if i.user_def not in by_user_def]
    return pairs, unnamed
