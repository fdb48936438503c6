"""The shapes Fugle's market-data API (v1.0, stock) sends, as msgspec structs that encode
to Fugle's camelCase JSON with prices as JSON numbers (exact: a `Decimal` is written as
its digits, never through a float), and the frames of its WebSocket protocol.

Sizes and volumes are board lots (張), as Fugle gives them for the regular board; times
are microseconds since the epoch. Trade flags (`isTrial`, `isOpen`, `isClose`) appear only
when true, as in Fugle's frames; a quote carries every flag.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

__all__ = [
    "BAD_REQUEST",
    "EXCHANGE",
    "MARKET",
    "NOT_FOUND",
    "SECURITY_TYPE",
    "TOO_MANY",
    "UNAUTHORIZED",
    "BooksPayload",
    "Candle",
    "Level",
    "QuotePayload",
    "TickerPayload",
    "Total",
    "TradeInfo",
    "TradePayload",
    "TradeRow",
    "VolumeAtPrice",
    "data_frame",
    "encode",
    "error_frame",
    "event_frame",
]

BAD_REQUEST = 400
UNAUTHORIZED = 401
NOT_FOUND = 404
TOO_MANY = 429
"""The codes of the streaming API's error events (the exchange's own: see docs)."""

EXCHANGE = "TWSE"
MARKET = "TSE"
SECURITY_TYPE = "EQUITY"

encode = msgspec.json.Encoder(decimal_format="number").encode


class _Camel(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    pass


class Level(_Camel, frozen=True, kw_only=True):
    price: Decimal
    size: int


class TradePayload(_Camel, omit_defaults=True, frozen=True, kw_only=True):
    """A `trades` data frame's payload: one print, or a trial match (`isTrial`)."""

    symbol: str
    type: str
    exchange: str
    market: str
    bid: Decimal | None = None
    ask: Decimal | None = None
    price: Decimal
    size: int
    volume: int
    is_trial: bool = False
    is_open: bool = False
    is_close: bool = False
    time: int
    serial: int


class BooksPayload(_Camel, frozen=True, kw_only=True):
    symbol: str
    type: str
    exchange: str
    market: str
    bids: list[Level]
    asks: list[Level]
    time: int


class Candle(_Camel, omit_defaults=True, frozen=True, kw_only=True):
    """One bar; `date` is its start, ISO 8601 in Taipei time; `average` the day's average
    price up to its end. The WebSocket frame adds the symbol fields."""

    symbol: str | None = None
    type: str | None = None
    exchange: str | None = None
    market: str | None = None
    date: str
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    average: Decimal


class TradeRow(_Camel, omit_defaults=True, frozen=True, kw_only=True):
    """One row of `intraday/trades`, newest first."""

    bid: Decimal | None = None
    ask: Decimal | None = None
    price: Decimal
    size: int
    volume: int
    time: int
    serial: int


class Total(_Camel, frozen=True, kw_only=True):
    trade_value: Decimal
    trade_volume: int
    trade_volume_at_bid: int
    trade_volume_at_ask: int
    transaction: int
    time: int


class TradeInfo(_Camel, omit_defaults=True, frozen=True, kw_only=True):
    bid: Decimal | None = None
    ask: Decimal | None = None
    price: Decimal
    size: int
    time: int
    serial: int


class QuotePayload(_Camel, omit_defaults=True, frozen=True, kw_only=True):
    """`intraday/quote` and the `aggregates` channel. Prices of a day without trades are
    left out (None), as Fugle leaves them out."""

    date: str
    type: str
    exchange: str
    market: str
    symbol: str
    name: str
    reference_price: Decimal
    previous_close: Decimal
    open_price: Decimal | None = None
    open_time: int | None = None
    high_price: Decimal | None = None
    high_time: int | None = None
    low_price: Decimal | None = None
    low_time: int | None = None
    close_price: Decimal | None = None
    close_time: int | None = None
    last_price: Decimal | None = None
    last_size: int | None = None
    avg_price: Decimal | None = None
    change: Decimal | None = None
    change_percent: Decimal | None = None
    amplitude: Decimal | None = None
    bids: list[Level]
    asks: list[Level]
    total: Total
    last_trade: TradeInfo | None = None
    last_trial: TradeInfo | None = None
    is_limit_down_price: bool
    is_limit_up_price: bool
    is_limit_down_bid: bool
    is_limit_up_bid: bool
    is_limit_down_ask: bool
    is_limit_up_ask: bool
    is_limit_down_halt: bool
    is_limit_up_halt: bool
    is_trial: bool
    is_delayed_open: bool
    is_delayed_close: bool
    is_continuous: bool
    is_open: bool
    is_close: bool
    last_updated: int


class TickerPayload(_Camel, frozen=True, kw_only=True):
    date: str
    type: str
    exchange: str
    market: str
    symbol: str
    name: str
    reference_price: Decimal
    limit_up_price: Decimal
    limit_down_price: Decimal
    previous_close: Decimal
    can_day_trade: bool
    can_buy_day_trade: bool
    is_attention: bool
    is_disposition: bool
    matching_interval: int
    security_status: str
    board_lot: int
    trading_currency: str


class VolumeAtPrice(_Camel, frozen=True, kw_only=True):
    price: Decimal
    volume: int
    volume_at_bid: int
    volume_at_ask: int


def event_frame(event: str, data: Any) -> bytes:
    return encode({"event": event, "data": data})


def error_frame(message: str, code: int | None = None) -> bytes:
    """Fugle's error event; the failed authentication carries its message alone."""
    data: dict[str, Any] = (
        {"message": message} if code is None else {"code": code, "message": message}
    )
    return event_frame("error", data)


def data_frame(channel: str, subscription_id: str, payload: bytes) -> bytes:
    """A data frame around a payload encoded once for every subscriber."""
    return b"".join(
        (
            b'{"event":"data","data":',
            payload,
            b',"id":',
            encode(subscription_id),
            b',"channel":',
            encode(channel),
            b"}",
        )
    )
