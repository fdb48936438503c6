"""tradeburst: place large batches of Taiwan stock orders as fast as the broker allows,
never twice, never lost, and measure every millisecond.

The public API is re-exported here; everything in a module whose name starts with an
underscore is private and may change.

The layout (docs/architecture.md has the map): `model` and `rules` (orders and TWSE's
rules), `wire` (the API's shapes, for both sides), `exchange` (the rehearsal exchange, the
server only), `brokers` (the `Broker` protocol, the exchange's client, Fubon), `engine`
(checks, journal, throttle, dispatch, the run's lifecycle: `fire`, `rush`, `resume`),
`latency` and `report`, `strategies` (`run`), `marketdata`, `hotpath`, `testing` (helpers
to rehearse against a real exchange), and `cli`, the only part that starts an event loop.
`errors` roots every exception in `TradeburstError`; `clock` is the one home of exchange
time; `limits` holds the brokers' limits and the request age.
"""

from importlib.metadata import PackageNotFoundError, version

from tradeburst.brokers import (
    AnswerLost,
    Broker,
    BrokerError,
    BrokerFatal,
    NotSent,
    OrderState,
    Position,
    RateLimited,
    SimBroker,
    WorkingOrder,
)
from tradeburst.engine import (
    CancelReport,
    FireOptions,
    FireResult,
    InvalidInput,
    ManualPacing,
    RiskLimits,
    cancel_all,
    fire,
    resume,
    rush,
)
from tradeburst.errors import TradeburstError
from tradeburst.exchange import Exchange, ExchangeConfig, ExchangeError
from tradeburst.limits import PROFILES, LimitProfile
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
from tradeburst.strategies import Strategy
from tradeburst.summary import LatencyThresholds, Summary

try:
    __version__ = version("tradeburst")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ETF_TICKS",
    "PROFILES",
    "STOCK_TICKS",
    "AnswerLost",
    "Broker",
    "BrokerError",
    "BrokerFatal",
    "CancelReport",
    "Exchange",
    "ExchangeConfig",
    "ExchangeError",
    "Fill",
    "FireOptions",
    "FireResult",
    "FunctionType",
    "InvalidInput",
    "LatencyThresholds",
    "LimitProfile",
    "ManualPacing",
    "MarketType",
    "NotSent",
    "Order",
    "OrderError",
    "OrderState",
    "OrderStatus",
    "OrderType",
    "Position",
    "PriceBand",
    "PriceType",
    "RateLimited",
    "RiskLimits",
    "Side",
    "SimBroker",
    "Strategy",
    "Summary",
    "TickLadder",
    "TimeInForce",
    "TradeburstError",
    "WorkingOrder",
    "cancel_all",
    "fire",
    "price_band",
    "resume",
    "rush",
]
