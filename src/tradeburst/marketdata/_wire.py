"""Reading the exchange's market-data frames (`tradeburst.wire.Frame`) into `Book` and
`Trade` events: a book's data is a `BookSnapshot`, a trade's a `TradeData`. A frame that
does not decode is reported as `BadFrame` and skipped by the feed: one bad frame never
stops it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tradeburst.errors import TradeburstError
from tradeburst.marketdata._events import Book, Level, Trade
from tradeburst.wire import BookLevel, BookSnapshot, Frame, TradeData

__all__ = ["BadFrame", "book_of", "decode_frame", "trade_of"]


class BadFrame(TradeburstError, ValueError):
    """A frame that is not what the protocol says."""


_decode = msgspec.json.Decoder(Frame).decode


def decode_frame(text: str | bytes) -> Frame:
    try:
        return _decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadFrame(str(exc)) from None


def _levels(levels: list[BookLevel]) -> tuple[Level, ...]:
    return tuple(Level(price=level.price, size=level.size) for level in levels)


def book_of(data: Any, seq: int, *, snapshot: bool = False) -> Book:
    try:
        book = msgspec.convert(data, BookSnapshot)
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
        trade = msgspec.convert(data, TradeData)
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
