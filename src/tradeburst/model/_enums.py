"""The vocabulary of an order: side, price type, time in force, market type, order type,
and the order statuses and function types with the codes Fubon Neo uses on the wire.

String enums carry the Fubon SDK's member names (``Buy``, ``Limit``, ``ROD`` …) so a JSON
answer of the rehearsal exchange reads like an SDK object's repr. Integer enums carry the
Fubon numeric codes, so ``OrderStatus(50)`` means what Fubon's ``status: 50`` means.
"""

from __future__ import annotations

import enum

__all__ = [
    "FunctionType",
    "MarketType",
    "OrderStatus",
    "OrderType",
    "PriceType",
    "Side",
    "TimeInForce",
]


class Side(enum.StrEnum):
    BUY = "Buy"
    SELL = "Sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class PriceType(enum.StrEnum):
    LIMIT = "Limit"
    MARKET = "Market"
    LIMIT_UP = "LimitUp"
    LIMIT_DOWN = "LimitDown"
    REFERENCE = "Reference"

    @property
    def is_market(self) -> bool:
        return self is PriceType.MARKET


class TimeInForce(enum.StrEnum):
    ROD = "ROD"
    IOC = "IOC"
    FOK = "FOK"


class MarketType(enum.StrEnum):
    COMMON = "Common"
    FIXING = "Fixing"
    ODD = "Odd"
    INTRADAY_ODD = "IntradayOdd"
    EMG = "Emg"
    EMG_ODD = "EmgOdd"

    @property
    def is_odd_lot(self) -> bool:
        return self in (MarketType.ODD, MarketType.INTRADAY_ODD, MarketType.EMG_ODD)


class OrderType(enum.StrEnum):
    STOCK = "Stock"
    MARGIN = "Margin"
    SHORT = "Short"
    SBL = "SBL"
    DAY_TRADE = "DayTrade"


class OrderStatus(enum.IntEnum):
    """Fubon Neo order status codes (``OrderResult.status``)."""

    RESERVATION = 0
    SENT_TO_BACKEND = 4
    BACKEND_SENDING = 8
    CONNECTION_TIMEOUT = 9
    ACCEPTED = 10
    MODIFY_PRICE_FAILED = 19
    MODIFY_QUANTITY_FAILED = 29
    CANCELLED = 30
    CANCEL_FAILED = 39
    PARTLY_FILLED_CANCELLED = 40
    FILLED = 50
    FAILED = 90

    @property
    def is_cancelled(self) -> bool:
        """A cancel took: nothing (30) or only the rest (40) of the order was left."""
        return self in (OrderStatus.CANCELLED, OrderStatus.PARTLY_FILLED_CANCELLED)

    @property
    def is_final(self) -> bool:
        """No further fill or change can happen to an order in this status."""
        return self in (
            OrderStatus.CANCELLED,
            OrderStatus.PARTLY_FILLED_CANCELLED,
            OrderStatus.FILLED,
            OrderStatus.FAILED,
        )


class FunctionType(enum.IntEnum):
    """Fubon Neo ``function_type``: which operation produced an order record."""

    NEW = 0
    NEW_EXECUTED = 10
    MODIFY_PRICE = 15
    MODIFY_QUANTITY = 20
    CANCEL = 30
    FILLED = 50
    FAILED = 90
