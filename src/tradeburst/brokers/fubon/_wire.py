"""What the engine's process and the SDK worker say to each other over their pipe: msgspec
MessagePack messages, one a frame. The worker turns every SDK object into these values
before sending (no SDK object crosses the pipe), so the engine's process never imports the
SDK. Calls carry an `id` their reply repeats; callbacks come unasked.

The login is the first message, not a process argument, so the secrets go through the
pipe's memory and are never pickled into a spawn file or a command line.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tradeburst.brokers._account import Position, WorkingOrder
from tradeburst.brokers._protocol import OrderState
from tradeburst.model import Fill, Order

__all__ = [
    "Call",
    "Event",
    "Login",
    "Placed",
    "Pushed",
    "PushedFill",
    "Quote",
    "Reply",
    "ToParent",
    "ToWorker",
    "decode_to_parent",
    "decode_to_worker",
    "encode",
]


class Login(msgspec.Struct, tag="login", kw_only=True):
    url: str
    personal_id: str
    password: str | None = None
    api_key: str | None = None
    cert_path: str | None = None
    cert_password: str | None = None
    account: str | None = None
    """Which stock account to trade; None takes the login's only one."""
    factory: str | None = None
    """`module:callable` of a marked stand-in (the test seam); None for the real SDK."""
    factory_options: dict[str, Any] = {}
    connections: int = 1

    def __repr__(self) -> str:  # never the secrets
        return f"Login({self.url!r})"


class Call(msgspec.Struct, tag="call", kw_only=True):
    """`method` one of: place, batch, cancel, modify_price, modify_quantity, orders, fills,
    snapshot, working, holdings, logout."""

    id: int
    method: str
    orders: list[Order] = []
    unblock: bool = False
    order_no: str | None = None
    price: str | None = None
    quantity: int | None = None
    day: str | None = None
    kind: str | None = None


class Placed(msgspec.Struct, frozen=True, kw_only=True):
    seq_no: str | None
    state: OrderState


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    reference: str
    limit_up: str
    limit_down: str


class Reply(msgspec.Struct, tag="reply", kw_only=True):
    """A call's answer: the SDK's `is_success` and `message`, its data read into values,
    or `raised` when the call raised (a panic included)."""

    id: int
    ok: bool = False
    message: str | None = None
    raised: str | None = None
    placed: list[Placed] = []
    fills: list[Fill] = []
    quotes: list[Quote] = []
    accounts: list[str] = []
    working: list[WorkingOrder] = []
    positions: list[Position] = []
    missing: bool = False
    """A change named an order the account does not have today."""


class Pushed(msgspec.Struct, tag="order", kw_only=True):
    seq_no: str | None
    state: OrderState


class PushedFill(msgspec.Struct, tag="fill", kw_only=True):
    fill: Fill


class Event(msgspec.Struct, tag="event", kw_only=True):
    code: str
    content: str


ToWorker = Login | Call
ToParent = Reply | Pushed | PushedFill | Event

_encoder = msgspec.msgpack.Encoder()
_to_worker: msgspec.msgpack.Decoder[ToWorker] = msgspec.msgpack.Decoder(ToWorker)
_to_parent: msgspec.msgpack.Decoder[ToParent] = msgspec.msgpack.Decoder(ToParent)


def encode(message: ToWorker | ToParent) -> bytes:
    return _encoder.encode(message)


def decode_to_worker(frame: bytes) -> ToWorker:
    return _to_worker.decode(frame)


def decode_to_parent(frame: bytes) -> ToParent:
    return _to_parent.decode(frame)
