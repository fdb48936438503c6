"""tradeburst: place large batches of Taiwan stock orders as fast as the broker allows,
never twice, never lost, and measure every millisecond.

The public API is re-exported here; everything in a module whose name starts with an
underscore is private and may change.
"""

from tradeburst.exchange import Exchange, ExchangeConfig, ExchangeError
from tradeburst.model import (
    Fill,
    FunctionType,
    MarketType,
    Order,
    OrderError,
    OrderStatus,
    OrderType,
    PriceType,
    Side,
    TimeInForce,
)
from tradeburst.rules import ETF_TICKS, STOCK_TICKS, PriceBand, TickLadder, price_band
from tradeburst.summary import LatencyThresholds, Summary

__all__ = [
    "ETF_TICKS",
    "STOCK_TICKS",
    "Exchange",
    "ExchangeConfig",
    "ExchangeError",
    "Fill",
    "FunctionType",
    "LatencyThresholds",
    "MarketType",
    "Order",
    "OrderError",
    "OrderStatus",
    "OrderType",
    "PriceBand",
    "PriceType",
    "Side",
    "Summary",
    "TickLadder",
    "TimeInForce",
    "price_band",
]
