"""Market data: the exchange's WebSocket stream (`MarketFeed`, in order across reconnects)
and a polling fallback (`QuotePoller`, 100 ms), both as async iterators of
`Book`, `Trade` and `Gap` events."""

from collections.abc import AsyncIterator, Iterable
from typing import Protocol

from tradeburst.marketdata._events import Book, Gap, Level, MarketEvent, Tick, Trade
from tradeburst.marketdata._feed import CHANNELS, MarketFeed
from tradeburst.marketdata._poll import DEFAULT_POLL_INTERVAL_S, QuotePoller
from tradeburst.marketdata._sequencer import FeedStats, Sequencer


class Feed(Protocol):
    """What the strategy runner needs of a market-data source."""

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...

    def __aiter__(self) -> AsyncIterator[MarketEvent]: ...


def open_feed(
    url: str,
    api_key: str,
    symbols: Iterable[str],
    *,
    poll_interval_s: float | None = None,
) -> Feed:
    """The WebSocket feed, or the polling fallback when `poll_interval_s` is given."""
    if poll_interval_s is not None:
        return QuotePoller(url, api_key, symbols, interval_s=poll_interval_s)
    return MarketFeed(url, api_key, symbols)


__all__ = [
    "CHANNELS",
    "DEFAULT_POLL_INTERVAL_S",
    "Book",
    "Feed",
    "FeedStats",
    "Gap",
    "Level",
    "MarketEvent",
    "MarketFeed",
    "QuotePoller",
    "Sequencer",
    "Tick",
    "Trade",
    "open_feed",
]
