"""Decoding the exchange's market-data frames and quotes into `Book` and `Trade`.

A frame is `{"event", "channel", "symbol", "epoch", "seq", "data"}`; a book's data is five
levels a side, a trade's is price, size, the day's volume and a time in microseconds.
A frame that does not decode is reported as `BadFrame` and skipped by the feed: one bad
frame never stops it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tradeburst.marketdata._events import Book, Level, Trade

__all__ = ["BadFrame", "Frame", "QuoteData", "book_of", "decode_frame", "trade_of"]


class BadFrame(ValueError):
    """A frame that is not what the protocol says."""


class Frame(msgspec.Struct, kw_only=True):
    event: str
    channel: str | None = None
    symbol: str | None = None
    epoch: int | None = None
    seq: int | None = None
    data: Any = None


class _Level(msgspec.Struct):
    price: Decimal
    size: int


class _Book(msgspec.Struct):
    symbol: str
    bids: list[_Level]
    asks: list[_Level]
    time: int


class _Trade(msgspec.Struct, rename={"trial": "isTrial"}):
    symbol: str
    price: Decimal
    size: int
    time: int
    volume: int | None = None
    trial: bool = False


class QuoteData(_Book, kw_only=True):
    """What `GET /v1/quotes/{symbol}` answers in its `data`."""

    last_price: Decimal | None = None
    total_volume: int = 0


_decode = msgspec.json.Decoder(Frame).decode


def decode_frame(text: str | bytes) -> Frame:
    try:
        return _decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadFrame(str(exc)) from None


def _levels(levels: list[_Level]) -> tuple[Level, ...]:
    return tuple(Level(price=level.price, size=level.size) for level in levels)


def book_of(data: Any, seq: int, *, snapshot: bool = False) -> Book:
    try:
        book = msgspec.convert(data, _Book)
    except msgspec.ValidationError as exc:
        raise BadFrame(f"book: {exc}") from None
    return Book(
        symbol=book.symbol,
        bids=_levels(book.bids),
        asks=_levels(book.asks),
        time_us=book.time,
        seq=seq,
        snapshot=snapshot,
    )


def trade_of(data: Any, seq: int, *, snapshot: bool = False) -> Trade:
    try:
        trade = msgspec.convert(data, _Trade)
    except msgspec.ValidationError as exc:
        raise BadFrame(f"trade: {exc}") from None
    return Trade(
        symbol=trade.symbol,
        price=trade.price,
        size=trade.size,
        volume=trade.volume,
        time_us=trade.time,
        seq=seq,
        trial=trade.trial,
        snapshot=snapshot,
    )
