"""`QuotePoller`: the usual fallback when no stream is available: ask
`GET /v1/quotes/{symbol}` for every symbol at a fixed interval (100 ms by default, a common
choice) and turn what changed into the same events the WebSocket feed gives.

A changed book becomes a `Book`; a rise in the day's volume becomes one `Trade` of the
difference at the last price (several trades between two polls fold into one: polling
cannot see them apart). Numbers count per symbol and channel from the first poll. A
failed poll is logged and tried again at the next tick.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import aiohttp
import msgspec

from tradeburst.marketdata._events import Book, Level, MarketEvent, Trade
from tradeburst.marketdata._source import EventSource
from tradeburst.wire import Quote

__all__ = ["DEFAULT_POLL_INTERVAL_S", "QuotePoller"]

log = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL_S = 0.1
"""The common `await asyncio.sleep(0.1)` loop: 100 ms is acceptable for a small desk."""


class _QuoteAnswer(msgspec.Struct):
    data: Quote


_decode = msgspec.json.Decoder(_QuoteAnswer).decode


class QuotePoller(EventSource):
    def __init__(
        self,
        url: str,
        api_key: str,
        symbols: Iterable[str],
        *,
        interval_s: float = DEFAULT_POLL_INTERVAL_S,
    ) -> None:
        super().__init__()
        if not interval_s > 0:
            raise ValueError(f"interval_s must be positive (got {interval_s})")
        self._url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._symbols = list(dict.fromkeys(symbols))
        self.interval_s = interval_s
        self._books: dict[str, tuple[tuple[Level, ...], tuple[Level, ...]]] = {}
        self._volume: dict[str, int] = {}
        self._seq: dict[tuple[str, str], int] = {}

    def __repr__(self) -> str:  # never the key
        return f"QuotePoller({self._url!r}, every {self.interval_s * 1000:g} ms)"

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            for symbol in self._symbols:
                try:
                    await self._poll(symbol)
                except (aiohttp.ClientError, OSError, TimeoutError, msgspec.DecodeError) as exc:
                    log.info("quote of %s failed (%s); next poll goes on", symbol, exc)
            # Fixed rate, not fixed delay: a slow answer does not stretch the interval.
            next_at = max(next_at + self.interval_s, loop.time())
            await asyncio.sleep(next_at - loop.time())

    async def _poll(self, symbol: str) -> None:
        assert self._session is not None
        url = f"{self._url}/v1/quotes/{symbol}"
        async with self._session.get(url, headers=self._headers) as answer:
            body = await answer.read()
            if answer.status != 200:
                log.info("quote of %s: HTTP %d", symbol, answer.status)
                return
        quote = _decode(body).data
        bids = tuple(Level(price=x.price, size=x.size) for x in quote.bids)
        asks = tuple(Level(price=x.price, size=x.size) for x in quote.asks)
        first = symbol not in self._books
        if self._books.get(symbol) != (bids, asks):
            self._books[symbol] = (bids, asks)
            self._emit(
                Book(
                    symbol=symbol,
                    bids=bids,
                    asks=asks,
                    time_us=quote.time,
                    seq=self._next("books", symbol),
                    snapshot=first,
                )
            )
        before = self._volume.get(symbol)
        self._volume[symbol] = quote.total_volume
        if before is not None and quote.total_volume > before and quote.last_price is not None:
            self._emit(
                Trade(
                    symbol=symbol,
                    price=quote.last_price,
                    size=quote.total_volume - before,
                    volume=quote.total_volume,
                    time_us=quote.time,
                    seq=self._next("trades", symbol),
                )
            )

    def _next(self, channel: str, symbol: str) -> int:
        seq = self._seq.get((channel, symbol), 0) + 1
        self._seq[(channel, symbol)] = seq
        return seq

    def _emit(self, event: MarketEvent) -> None:
        self._events.put_nowait(event)
