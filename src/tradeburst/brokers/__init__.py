"""Brokers: the `Broker` protocol the engine talks to, its errors, and `SimBroker`, the
client of the rehearsal exchange."""

from tradeburst.brokers._account import AccountBook, AccountBroker, Position, WorkingOrder
from tradeburst.brokers._errors import AnswerLost, BrokerError, BrokerFatal, NotSent, RateLimited
from tradeburst.brokers._protocol import Broker, Capabilities, Instrument, OrderState
from tradeburst.brokers._receipts import exchange_receipts
from tradeburst.brokers._sim import SimBroker

__all__ = [
    "AccountBook",
    "AccountBroker",
    "AnswerLost",
    "Broker",
    "BrokerError",
    "BrokerFatal",
    "Capabilities",
    "Instrument",
    "NotSent",
    "OrderState",
    "Position",
    "RateLimited",
    "SimBroker",
    "WorkingOrder",
    "exchange_receipts",
]
