"""Who is subscribed to what on Fugle's streaming API, and the fan-out of the tape's ticks
and the books to them: each (channel, symbol) maps to the connections subscribed and the
id each was given. A payload is built and encoded once per event, only if someone is
subscribed to it; each subscriber gets it in its own data frame, through its bounded
queue (`Subscriber`), so a slow client never slows the market.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from tradeburst.exchange._market import Market
from tradeburst.exchange._streams import Subscriber
from tradeburst.exchange.fugle._candles import candle_payload
from tradeburst.exchange.fugle._shapes import data_frame, encode
from tradeburst.exchange.fugle._tape import SymbolDay, Tick
from tradeburst.exchange.fugle._views import books_payload, quote, trade_payload

__all__ = ["CHANNELS", "Hub"]

CHANNELS = ("trades", "books", "candles", "aggregates")
"""The stock channels served; `indices` is not (the exchange lists no index)."""

Key = tuple[str, str]


class Hub:
    def __init__(self, market: Market, day_of: Callable[[str], SymbolDay]) -> None:
        self._market = market
        self._day_of = day_of
        self._subscribers: dict[Key, dict[Subscriber, str]] = defaultdict(dict)

    def add(self, channel: str, symbol: str, subscriber: Subscriber, subscription_id: str) -> None:
        self._subscribers[(channel, symbol)][subscriber] = subscription_id
        snapshot = self._snapshot(channel, symbol)
        if snapshot is not None:
            subscriber.push(data_frame(channel, subscription_id, snapshot))

    def remove(self, channel: str, symbol: str, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get((channel, symbol))
        if subscribers is not None:
            subscribers.pop(subscriber, None)
            if not subscribers:
                del self._subscribers[(channel, symbol)]

    def _snapshot(self, channel: str, symbol: str) -> bytes | None:
        """What a new subscriber gets at once: the book, the quote, the last print and
        its bar, whichever the channel carries (nothing for a day without prints)."""
        if channel == "books":
            return encode(books_payload(self._market, symbol))
        day = self._day_of(symbol)
        if channel == "aggregates":
            return encode(quote(self._market, symbol, day))
        last = day.last
        if last is None:
            return None
        if channel == "trades":
            return encode(trade_payload(symbol, last))
        candle = candle_payload(symbol, day, last.time_us * 1000)
        return encode(candle) if candle is not None else None

    def watches(self, channel: str, symbol: str) -> bool:
        return (channel, symbol) in self._subscribers

    def on_tick(self, symbol: str, tick: Tick) -> None:
        if not self._subscribers:  # nobody subscribed: skip the four lookups of every trade
            return
        self._publish("trades", symbol, lambda: encode(trade_payload(symbol, tick)))
        if not tick.trial:
            day = self._day_of(symbol)
            self._publish(
                "candles", symbol, lambda: encode(candle_payload(symbol, day, tick.time_us * 1000))
            )
        self._publish_quote(symbol)

    def on_book(self, symbol: str) -> None:
        if not self._subscribers:
            return
        self._publish("books", symbol, lambda: encode(books_payload(self._market, symbol)))
        self._publish_quote(symbol)

    def _publish_quote(self, symbol: str) -> None:
        self._publish(
            "aggregates", symbol, lambda: encode(quote(self._market, symbol, self._day_of(symbol)))
        )

    def _publish(self, channel: str, symbol: str, payload: Callable[[], bytes]) -> None:
        subscribers = self._subscribers.get((channel, symbol))
        if not subscribers:
            return
        encoded = payload()
        for subscriber, subscription_id in list(subscribers.items()):
            subscriber.push(data_frame(channel, subscription_id, encoded))
