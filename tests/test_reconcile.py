"""Reconciliation pairs intents with the broker's records by user_def: settled, still
undecided, or missing, and a rate refusal is no order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeburst.brokers import OrderState
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._reconcile import apply_answer, match_records
from tradeburst.limits import RATE_LIMIT_MESSAGE
from tradeburst.model import Order, OrderStatus
from tradeburst.model._enums import Side


def _record(user_def: str, status: OrderStatus, message: str | None = None) -> OrderState:
    return OrderState(
        user_def=user_def,
        order_no="00001",
        status=status,
        symbol="2891",
        quantity=1000,
        message=message,
    )


def _intent(user_def: str) -> Intent:
    order = Order(
        symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"), user_def=user_def
    )
    return Intent(seq=0, line=2, tag="", order=order, state=IntentState.UNKNOWN)


def test_reconciliation_finds_what_the_broker_has_by_user_def() -> None:
    """Intents the broker holds are paired with its records; the rest are missing."""
    held, gone = _intent("RUN0010000"), _intent("RUN0010001")
    found, undecided, missing = match_records(
        [held, gone], [_record("RUN0010000", OrderStatus.ACCEPTED)]
    )
    assert [(i.user_def, r.status) for i, r in found] == [("RUN0010000", OrderStatus.ACCEPTED)]
    assert (undecided, missing) == ([], [gone])


@pytest.mark.parametrize("status", list(OrderStatus))
def test_a_record_without_an_outcome_yet_is_undecided_never_missing_nor_settled(
    status: OrderStatus,
) -> None:
    """On its way to the back end (4, 8) or timed out between (9), the broker holds the
    order with no outcome: neither to send again nor to settle. Every other status settles."""
    intent, record = _intent("RUN0010000"), _record("RUN0010000", status)
    found, undecided, missing = match_records([intent], [record])
    waiting = status in (
        OrderStatus.SENT_TO_BACKEND,
        OrderStatus.BACKEND_SENDING,
        OrderStatus.CONNECTION_TIMEOUT,
    )
    assert missing == []
    if waiting:
        assert (found, undecided) == ([], [intent])
    else:
        assert (found, undecided) == ([(intent, record)], [])


def test_reconciliation_takes_a_rate_refusal_record_for_no_order() -> None:
    """A failed record carrying the rate-limit message means nothing was placed."""
    intent = _intent("RUN0010000")
    refusal = _record("RUN0010000", OrderStatus.FAILED, RATE_LIMIT_MESSAGE)
    assert match_records([intent], [refusal]) == ([], [], [intent])


def test_an_applied_answer_settles_the_intent_for_good() -> None:
    """A broker's record settles an intent as accepted or rejected, with its order number."""
    accepted, rejected = _intent("RUN0010000"), _intent("RUN0010001")
    apply_answer(accepted, _record("RUN0010000", OrderStatus.ACCEPTED), 5)
    apply_answer(rejected, _record("RUN0010001", OrderStatus.FAILED, "price off"), 6)
    assert (accepted.state, accepted.order_no, accepted.answered_ns) == (
        IntentState.ACCEPTED,
        "00001",
        5,
    )
    assert (rejected.state, rejected.message, rejected.state.is_final) == (
        IntentState.REJECTED,
        "price off",
        True,
    )
