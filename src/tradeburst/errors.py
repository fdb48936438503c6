"""The root of every exception tradeburst raises, so a caller can catch all of them with one
`except TradeburstError` and still tell them apart below it. Each exception is defined beside
the code that raises it (the module in brackets); where it fits, it is also the builtin a
caller would expect (`NotSent` is a `ConnectionError`, `OrderError` a `ValueError`):

    TradeburstError
    ├── InvalidInput        the orders or the options are wrong; nothing was sent  [engine]
    ├── InputFileError      a file that cannot be input (kind, size)           [tradeburst]
    ├── OrderError          an order that cannot exist (also ValueError)            [model]
    ├── PriceError          not a price as written plainly (also ValueError)        [rules]
    ├── TimeOfDayError      not an exchange time of day (also ValueError)           [clock]
    ├── JournalError        the journal cannot be used: in use, missing, damaged   [engine]
    ├── BrokerError         a request got no usable answer                        [brokers]
    │   ├── NotSent         never reached the broker: safe to send again (ConnectionError)
    │   │   └── RateLimited the broker refused for rate: back off, send again
    │   ├── AnswerLost      sent, no answer: reconcile, never resend (TimeoutError)
    │   └── BrokerFatal     the broker refuses us as such: stop
    ├── ThrottleError       the shared throttle cannot be used as given          [engine]
    │   ├── ThrottleUnreachable  Redis does not answer as a run starts: nothing sent
    │   │                        (also ConnectionError)
    │   └── ThrottleLost    Redis out of reach mid-run past the grace: sending stops
    │                       (also ConnectionError)
    ├── CredentialsError    the Fubon secrets are missing or exposed    [brokers.fubon]
    ├── StandinError        a Fubon SDK stand-in that is not marked as one  [brokers.fubon]
    ├── WorkerGone          the Fubon SDK's worker process ended        [brokers.fubon]
    ├── ExchangeError       the rehearsal exchange cannot start as configured    [exchange]
    ├── BodyError           a request body the exchange refuses (also ValueError) [exchange]
    ├── Refusal             the exchange refuses a change to an order            [exchange]
    ├── StoreInUse          another process holds the exchange's database        [exchange]
    │                       (also sqlite3.OperationalError)
    ├── BadFrame            a market data frame off the protocol (also ValueError) [marketdata]
    ├── OrderRefused        a strategy's `submit` refused (also ValueError)   [strategies]
    ├── TwapError           a parent order that cannot be sliced (also ValueError) [strategies]
    └── StrategyExit        a strategy's callback raised SystemExit or another
                            BaseException                                     [strategies]

A broker that answers "no" to an order is not an exception: it is an answer, kept in the
run's results.
"""

from __future__ import annotations

__all__ = ["TradeburstError"]


class TradeburstError(Exception):
    """Anything tradeburst raises on purpose; the subclass says what went wrong."""
