"""What a reply from the SDK worker means to the engine: an order call's answers or ACKs,
a change's new state, a query's data, or the error the reply stands for.

A call that raised mid-way may have acted (`AnswerLost` for an order, `NotSent` for a
query, which places nothing); a failed `Result` is classified by its message
(`_mapping.refusal`), and one that is none of those is the broker's "no" to the order. An
answer still pending (an ACK) or one whose connection timed out names no outcome yet: the
engine reconciles it by `user_def`.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from tradeburst.brokers._errors import AnswerLost, BrokerError, BrokerFatal, NotSent
from tradeburst.brokers._protocol import OrderState
from tradeburst.brokers.fubon._mapping import PENDING_STATUSES, Proof, classify, refusal
from tradeburst.brokers.fubon._wire import Call, Placed, Reply
from tradeburst.model import Order, OrderStatus

__all__ = [
    "batch_states",
    "change_of",
    "failed",
    "final",
    "login_error",
    "order_reply",
    "query_reply",
]


def query_reply(reply: Reply, method: str) -> Reply:
    """A query's reply, or the error it stands for (a query places nothing)."""
    if reply.raised is not None:
        raise NotSent(f"{method}: {reply.raised}")
    if not reply.ok:
        raise refusal(reply.message, method, placing=False) or NotSent(f"{method}: {reply.message}")
    return reply


def order_reply(reply: Reply, what: str, orders: Sequence[Order]) -> list[Placed] | None:
    """The ACKs or answers of an order call; None for the broker's "no" to it."""
    if reply.raised is not None:  # it raised mid-call: it may have acted
        raise AnswerLost(f"{what}: {reply.raised}")
    if not reply.ok:
        error = refusal(reply.message, what)
        if error is not None:
            raise error
        return None
    if len(reply.placed) != len(orders):
        raise AnswerLost(f"{what}: {len(orders)} orders answered with {len(reply.placed)}")
    return reply.placed


def batch_states(
    orders: Sequence[Order], placed: list[Placed], outcomes: dict[str, OrderState]
) -> list[OrderState]:
    """Each order's outcome (by callback, paired by `seq_no`), or an unnamed state for one
    that has none: AnswerLost when no order of the batch has one."""
    states: list[OrderState] = []
    for order, ack in zip(orders, placed, strict=True):
        state = outcomes.get(ack.seq_no or "", ack.state)
        if state.status in PENDING_STATUSES or state.status is OrderStatus.CONNECTION_TIMEOUT:
            states.append(unnamed(order))  # only a query can tell
        else:
            states.append(named(state, order))
    if all(state.user_def is None for state in states):
        raise AnswerLost(f"batch_place_order: no outcome for any of {len(orders)} orders")
    return states


def change_of(reply: Reply, call: Call, failed_status: OrderStatus, what: str) -> OrderState:
    """The order's state after a cancel or modify: the new one, or the one it kept (with
    `failed_status`) when the broker refused the change."""
    if reply.missing:
        raise BrokerFatal(f"Fubon has no order {call.order_no} of this account today")
    if reply.raised is not None:
        raise AnswerLost(f"{what}: {reply.raised}")
    if not reply.ok:
        error = refusal(reply.message, what)
        if error is not None:
            raise error
        if not reply.placed:
            raise AnswerLost(f"{what}: {reply.message}")
        before = reply.placed[0].state
        return msgspec.structs.replace(before, status=failed_status, message=reply.message)
    if len(reply.placed) != 1:
        raise AnswerLost(f"{what}: unreadable answer")
    return reply.placed[0].state


def failed(order: Order, message: str | None) -> OrderState:
    """The broker's "no" to `order`, as a failed call's message says it."""
    return OrderState(
        user_def=order.user_def,
        order_no=None,
        status=OrderStatus.FAILED,
        symbol=order.symbol,
        quantity=0,
        message=message,
    )


def named(state: OrderState, order: Order) -> OrderState:
    """The answer to `order` (paired by `seq_no`), under its client id."""
    if state.user_def is None:
        return msgspec.structs.replace(state, user_def=order.user_def)
    return state


def unnamed(order: Order) -> OrderState:
    """A batch answer that names no order: the engine reconciles it by `user_def`."""
    return OrderState(
        user_def=None,
        order_no=None,
        status=OrderStatus.SENT_TO_BACKEND,
        symbol=order.symbol,
        quantity=order.quantity,
        message="no outcome yet",
    )


def final(state: OrderState, order: Order) -> OrderState:
    """A single order's outcome, or AnswerLost while it has none."""
    if state.status is OrderStatus.CONNECTION_TIMEOUT or state.status in PENDING_STATUSES:
        raise AnswerLost(f"place_order: status {int(state.status)}, no outcome yet")
    return named(state, order)


def login_error(reply: Reply) -> BrokerError:
    """Why a login failed: NotSent when it may be tried again, else BrokerFatal."""
    if reply.raised is not None:
        if reply.raised.startswith(("BrokerFatal:", "StandinError:")):
            return BrokerFatal(f"login: {reply.raised.partition(': ')[2]}")
        return NotSent(f"login: {reply.raised}; nothing sent")
    answer = classify(reply.message)
    if answer.proof in (Proof.NOT_SENT, Proof.UNKNOWN, Proof.RATE):
        return NotSent(f"login: {reply.message}; nothing sent")
    return BrokerFatal(f"login: {reply.message}")
