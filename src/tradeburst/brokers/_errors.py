"""What can go wrong between the engine and a broker, as three kinds the engine treats
differently:

    BrokerError
    ├── NotSent        never reached the broker, or the broker says nothing was placed:
    │   │              safe to send again
    │   └── RateLimited    the broker refused for rate (業務系統流量控管): back off, send again
    ├── AnswerLost     sent, and no answer came: the state is unknown; reconcile by
    │                  `user_def`, never resend blindly (also a `TimeoutError`)
    └── BrokerFatal    the broker will not take anything from us (wrong key, bad request
                       shape): stop

A broker that answers "no" to an order (status 90) is not an exception: it is an answer.
"""

from __future__ import annotations

from tradeburst.errors import TradeburstError

__all__ = ["AnswerLost", "BrokerError", "BrokerFatal", "NotSent", "RateLimited"]


class BrokerError(TradeburstError):
    """Anything that kept a request from getting a usable answer."""


class NotSent(BrokerError, ConnectionError):
    """Nothing was placed: the request never left, or the broker refused it whole."""


class RateLimited(NotSent):
    """The broker refused the request for its rate limits; nothing was placed."""


class AnswerLost(BrokerError, TimeoutError):
    """The request may have been acted on; only a query can tell."""


class BrokerFatal(BrokerError):
    """The broker refuses us as such (authentication, request shape); retrying cannot help."""
