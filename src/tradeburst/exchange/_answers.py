"""The shapes of the exchange's other answers (clock, symbols, quotes, admin), as msgspec
structs the handlers fill and the OpenAPI description is generated from."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeburst.model import OrderStatus
from tradeburst.rules import Phase

__all__ = [
    "AdminOrder",
    "AdminOrders",
    "AdminStats",
    "BookLevel",
    "BookSnapshot",
    "LimitWindow",
    "LimitsAnswer",
    "Quote",
    "SymbolInfo",
    "TimeAnswer",
]


class LimitWindow(msgspec.Struct, kw_only=True):
    requests: int
    window_s: float


class LimitsAnswer(msgspec.Struct, kw_only=True):
    """The broker limits the exchange enforces on the caller's account, so a client can keep
    under them."""

    account: str
    profile: str
    limits: dict[str, LimitWindow]
    connections: int | None
    batch_counts_orders: bool
    max_batch_orders: int
    suspension_s: float


class TimeAnswer(msgspec.Struct, kw_only=True):
    exchange_time_ns: int
    tz: str = "Asia/Taipei"


class SymbolInfo(msgspec.Struct, kw_only=True):
    symbol: str
    name: str
    kind: str
    reference_price: Decimal
    limitup_price: Decimal
    limitdown_price: Decimal
    tick_bands: list[tuple[Decimal, Decimal]] = []
    """The symbol's tick ladder: (lower bound, tick) per band, lowest first. Not a Fubon
    field: the rehearsal exchange says which ladder it runs (`--tick-above-1000`)."""


class BookLevel(msgspec.Struct, kw_only=True):
    price: Decimal
    size: int


class BookSnapshot(msgspec.Struct, kw_only=True):
    """Five levels a side, best first; `time` in microseconds since the epoch."""

    symbol: str
    bids: list[BookLevel]
    asks: list[BookLevel]
    time: int


class Quote(BookSnapshot, kw_only=True):
    phase: Phase
    reference_price: Decimal
    limitup_price: Decimal
    limitdown_price: Decimal
    last_price: Decimal | None
    total_volume: int


class AdminOrder(msgspec.Struct, kw_only=True):
    account: str
    user_def: str | None
    order_no: str | None
    status: OrderStatus
    received_ns: int


class AdminOrders(msgspec.Struct, kw_only=True):
    orders: list[AdminOrder]


class AdminStats(msgspec.Struct, kw_only=True):
    requests: int
    rate_limited: int
    connections_refused: int
    requests_held: int
    """Order actions held by the late fault or stalled at this moment."""
    faults: dict[str, int]
