"""The WebSocket frames of the two streams: `/v1/stream` (an account's orders and fills)
and `/v1/marketdata` (trades and books per symbol). Each frame is a JSON object whose
`event` comes first. The exchange sends the specific frames below; a client reads any of
them as a `Frame`, whose fields are the union of theirs, and then its `data` as a
`BookSnapshot` or a `TradeData` by channel. `seq` counts per account on the account stream
and per (channel, symbol) on market data; `epoch` names the exchange run (its start, ns
since the epoch) the numbers belong to, so a new one means the numbering began again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tradeburst.wire._records import FilledData, OrderResult

__all__ = [
    "ChannelSnapshot",
    "ChannelUpdate",
    "ErrorFrame",
    "FillEvent",
    "Frame",
    "OrderEvent",
    "StreamStart",
    "Subscription",
    "SubscriptionFrame",
    "TradeData",
    "error_frame",
]


class Frame(msgspec.Struct, kw_only=True):
    """Any frame of either stream, as a client reads it."""

    event: str
    channel: str | None = None
    symbol: str | None = None
    epoch: int | None = None
    seq: int | None = None
    data: Any = None


# -- the account stream -------------------------------------------------------------------


class StreamStart(msgspec.Struct, kw_only=True, tag_field="event", tag="subscribed"):
    """The account stream's first frame: the number of the account's last event, so that
    after a reconnect a jump in `seq` shows what was missed."""

    epoch: int
    seq: int


class OrderEvent(msgspec.Struct, kw_only=True, tag_field="event", tag="order"):
    seq: int
    data: OrderResult


class FillEvent(msgspec.Struct, kw_only=True, tag_field="event", tag="filled"):
    seq: int
    data: FilledData


# -- market data --------------------------------------------------------------------------


class Subscription(msgspec.Struct, kw_only=True):
    channel: str
    """`trades` or `books`."""
    symbol: str


class SubscriptionFrame(msgspec.Struct, kw_only=True):
    """A client's command (`subscribe`, `unsubscribe`) and the exchange's answer to it
    (`subscribed`, `unsubscribed`): the same shape both ways."""

    event: str
    data: Subscription


class ChannelSnapshot(msgspec.Struct, kw_only=True, tag_field="event", tag="snapshot"):
    """A subscription's first frame, stamped with the key's current `seq`: the book, or
    the last trade (null before the day's first)."""

    channel: str
    symbol: str
    epoch: int
    seq: int
    data: Any
    """A `BookSnapshot` on `books`, a `TradeData` or null on `trades`."""


class ChannelUpdate(msgspec.Struct, kw_only=True, tag_field="event", tag="data"):
    channel: str
    symbol: str
    seq: int
    data: Any
    """A `BookSnapshot` on `books`, a `TradeData` on `trades`."""


class TradeData(
    msgspec.Struct,
    kw_only=True,
    omit_defaults=True,
    rename={"trial": "isTrial", "opening": "isOpen", "closing": "isClose"},
):
    """A trade print, or a trial match before an auction (`isTrial`: what it would trade
    now, with no day volume); the auctions' prints carry `isOpen` or `isClose`. Flags are
    sent only when true. `time` is in microseconds since the epoch."""

    symbol: str
    price: Decimal
    size: int
    volume: int | None = None
    """The symbol's day volume after this trade."""
    time: int
    trial: bool = False
    opening: bool = False
    closing: bool = False


# -- either stream ------------------------------------------------------------------------


class _Message(msgspec.Struct, kw_only=True):
    message: str


class ErrorFrame(msgspec.Struct, kw_only=True, tag_field="event", tag="error"):
    """The answer to a frame the stream does not take; the socket stays open."""

    data: _Message


def error_frame(message: str) -> ErrorFrame:
    return ErrorFrame(data=_Message(message=message))
