"""What each failed SDK `Result` proves (`_mapping.ANSWERS`): every row, with the message
texts SDK 2.3.1 answers, and the error each one becomes for an order call and a query."""

from __future__ import annotations

import pytest

from tradeburst.brokers import AnswerLost, BrokerFatal, NotSent, RateLimited
from tradeburst.brokers.fubon._mapping import ANSWERS, Proof, classify, refusal

CLOSED = "Login Error, Unable to make method calls because underlying connection is closed"
ROWS = [
    ("Login Error, 業務系統流量控管", Proof.RATE, False, RateLimited, RateLimited),
    ("Login Error, 超過本應用程式連線限制==>[10]", Proof.NOT_SENT, False, NotSent, NotSent),
    ("URL error: Unable to connect to ws://127.0.0.1:9/TASP/XCPXWS", Proof.NOT_SENT, True,
     NotSent, NotSent),
    ("Not Login Error", Proof.NOT_SENT, True, NotSent, NotSent),
    ("Login Error, WebSocket protocol error: Sending after closing is not allowed",
     Proof.NOT_SENT, True, NotSent, NotSent),
    (CLOSED, Proof.UNKNOWN, True, AnswerLost, NotSent),
    ("帳號類別錯誤", Proof.FATAL, False, BrokerFatal, BrokerFatal),
    ("此 API KEY 未授權該功能", Proof.FATAL, False, BrokerFatal, BrokerFatal),
]  # fmt: skip


@pytest.mark.parametrize(("message", "proof", "reconnect", "placing", "querying"), ROWS)
def test_each_sdk_answer_proves_what_the_table_says(
    message: str, proof: Proof, reconnect: bool, placing: type, querying: type
) -> None:
    """The row matched, whether the worker is replaced, and the error for each kind."""
    answer = classify(message)
    assert (answer.proof, answer.reconnect) == (proof, reconnect)
    assert answer.logged_out is (message == "Not Login Error")  # event 304 may follow it
    assert type(refusal(message, "place_order")) is placing
    assert type(refusal(message, "get_order_results", placing=False)) is querying


def test_every_row_of_the_table_is_tested() -> None:
    """No row of ANSWERS goes without its case above."""
    assert {classify(row[0]).mark for row in ROWS} == {a.mark for a in ANSWERS}


@pytest.mark.parametrize("message", ["[4385715]單價輸入錯誤[4385715]", "超過跌停價", None, ""])
def test_a_business_error_text_is_the_brokers_no(message: str | None) -> None:
    """Status 90 texts (and a missing message) are an answer about the order: no error."""
    assert classify(message).proof is Proof.REFUSED
    assert refusal(message, "place_order") is None
