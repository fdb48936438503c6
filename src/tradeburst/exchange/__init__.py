"""The rehearsal exchange: a real HTTP and WebSocket server that imitates a Taiwan broker
in front of TWSE, for rehearsing bursts before touching real money."""

from tradeburst.exchange._accounts import Account
from tradeburst.exchange._batch_timing import BATCH_ORDERS, time_batches
from tradeburst.exchange._child import exchange_child, serving
from tradeburst.exchange._clock import Clock, ManualClock, SessionClock
from tradeburst.exchange._door import DoorLimits
from tradeburst.exchange._faults import FaultRates
from tradeburst.exchange._gateway import NetworkModel
from tradeburst.exchange._market import Market
from tradeburst.exchange._profiles import (
    CONNECTION_LIMIT_MESSAGE,
    PROFILES,
    RATE_LIMIT_MESSAGE,
    CountedStamps,
)
from tradeburst.exchange._server import Exchange, ExchangeConfig, ExchangeError
from tradeburst.exchange._symbols import Symbol, load_symbols

__all__ = [
    "BATCH_ORDERS",
    "CONNECTION_LIMIT_MESSAGE",
    "PROFILES",
    "RATE_LIMIT_MESSAGE",
    "Account",
    "Clock",
    "CountedStamps",
    "DoorLimits",
    "Exchange",
    "ExchangeConfig",
    "ExchangeError",
    "FaultRates",
    "ManualClock",
    "Market",
    "NetworkModel",
    "SessionClock",
    "Symbol",
    "exchange_child",
    "load_symbols",
    "serving",
    "time_batches",
]
