"""Pushing events to WebSocket subscribers: each account's order and fill events, and the
market data of each symbol (trades, 5-level books, trial matches).

Every market-data message carries a `seq` that counts up by one per symbol and channel,
and a subscription starts with a snapshot stamped with the current `seq`, so a client can
tell a gap from a duplicate across a reconnect. Numbers count within one run of the
exchange, named by its `epoch` (the run's start, ns since the epoch): a new epoch after a
reconnect means the exchange restarted and the numbering started again.

Sending never blocks the market: messages go to a bounded queue per subscriber, and a
subscriber that falls too far behind is disconnected rather than slowing everyone else (it
reconnects and resubscribes; the snapshot's `seq` tells it where it is).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Container
from decimal import Decimal
from typing import Any

import msgspec
from aiohttp import WSCloseCode, web

from tradeburst.exchange._events import MarketListener, TradePrint
from tradeburst.wire import (
    ChannelSnapshot,
    ChannelUpdate,
    FilledData,
    FillEvent,
    OrderEvent,
    OrderResult,
    StreamStart,
    Subscription,
    SubscriptionFrame,
    TradeData,
    error_frame,
)

__all__ = ["AccountStreams", "MarketDataFeed", "Subscriber"]

log = logging.getLogger(__name__)
_QUEUE_LIMIT = 10_000
_encode = msgspec.json.Encoder().encode


class Subscriber:
    """One WebSocket connection and the writer task that drains its queue."""

    def __init__(self, socket: web.WebSocketResponse) -> None:
        self.socket = socket
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(_QUEUE_LIMIT)
        self._closer: asyncio.Task[bool] | None = None

    def push(self, message: bytes) -> None:
        if self._closer is not None:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("closing a subscriber that is %d messages behind", _QUEUE_LIMIT)
            self._closer = asyncio.get_running_loop().create_task(
                self.socket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow")
            )

    async def drain(self) -> None:
        """Send queued messages until the socket closes."""
        while not self.socket.closed and self._closer is None:
            message = await self.queue.get()
            await self.socket.send_str(message.decode())


class AccountStreams(MarketListener):
    """Order and fill events, each to the subscribers of its own account only.

    Events are numbered per account. A new subscriber first gets `subscribed` with the
    number of the last event, so after a reconnect a jump in `seq` shows what was missed;
    the account's order results (`GET /v1/orders`) are the truth to reconcile with. Events
    are held until the store has committed the change they tell of (`release`): a client
    never hears of an order a crash could take back.
    """

    def __init__(self, epoch: int) -> None:
        self._epoch = epoch
        self._subscribers: dict[str, set[Subscriber]] = defaultdict(set)
        self._seq: dict[str, int] = defaultdict(int)
        self._held: list[tuple[set[Subscriber], bytes]] = []

    def add(self, account: str, subscriber: Subscriber) -> Callable[[], None]:
        subscriber.push(_encode(StreamStart(epoch=self._epoch, seq=self._seq[account])))
        self._subscribers[account].add(subscriber)
        return lambda: self._subscribers[account].discard(subscriber)

    def order_changed(self, record: OrderResult) -> None:
        account = record.account
        self._seq[account] = seq = self._seq[account] + 1
        if self._subscribers.get(account):
            self._hold(account, OrderEvent(seq=seq, data=record))

    def filled(self, fill: FilledData) -> None:
        account = fill.account
        self._seq[account] = seq = self._seq[account] + 1
        if self._subscribers.get(account):
            self._hold(account, FillEvent(seq=seq, data=fill))

    def _hold(self, account: str, event: OrderEvent | FillEvent) -> None:
        # Encoded now: the record is the market's live object and may change before release.
        self._held.append((set(self._subscribers[account]), _encode(event)))

    def release(self) -> None:
        """Send the events held for the commit that has just been made."""
        held, self._held = self._held, []
        for subscribers, message in held:
            for subscriber in subscribers:
                subscriber.push(message)


class MarketDataFeed(MarketListener):
    """Trades and books per symbol, numbered per (channel, symbol)."""

    CHANNELS = ("trades", "books")

    def __init__(self, book_snapshot: Callable[[str], Any], epoch: int) -> None:
        self._book_snapshot = book_snapshot
        self._epoch = epoch
        self._subscribers: dict[tuple[str, str], set[Subscriber]] = defaultdict(set)
        self._seq: dict[tuple[str, str], int] = defaultdict(int)
        self._last: dict[tuple[str, str], Any] = {}

    def command(self, text: str, subscriber: Subscriber, listed: Container[str]) -> None:
        """Carry out one client frame (subscribe or unsubscribe), or answer an error event;
        a bad frame never closes the socket."""
        try:
            command = msgspec.json.decode(text)
        except (msgspec.DecodeError, RecursionError):
            command = None
        if not isinstance(command, dict):
            return _error(subscriber, "frames must be JSON objects")
        event, data = command.get("event"), command.get("data")
        if event not in ("subscribe", "unsubscribe") or not isinstance(data, dict):
            return _error(
                subscriber, 'send {"event": "subscribe", "data": {"channel": ..., "symbol": ...}}'
            )
        channel, symbol = data.get("channel"), data.get("symbol")
        if channel not in self.CHANNELS:
            return _error(subscriber, f"channel must be one of {list(self.CHANNELS)}")
        if not isinstance(symbol, str) or symbol not in listed:
            return _error(subscriber, f"symbol {symbol!r} is not listed")
        if event == "subscribe":
            _acknowledge(subscriber, "subscribed", channel, symbol)
            return self.subscribe(channel, symbol, subscriber)
        if self.unsubscribe(channel, symbol, subscriber):
            return _acknowledge(subscriber, "unsubscribed", channel, symbol)
        return _error(subscriber, f"not subscribed to {channel} {symbol}")

    def subscribe(self, channel: str, symbol: str, subscriber: Subscriber) -> None:
        key = (channel, symbol)
        self._subscribers[key].add(subscriber)
        snapshot = self._book_snapshot(symbol) if channel == "books" else self._last.get(key)
        if isinstance(snapshot, TradePrint):
            snapshot = _trade_data(snapshot)
        frame = ChannelSnapshot(
            channel=channel, symbol=symbol, epoch=self._epoch, seq=self._seq[key], data=snapshot
        )
        subscriber.push(_encode(frame))

    def unsubscribe(self, channel: str, symbol: str, subscriber: Subscriber) -> bool:
        subscribers = self._subscribers.get((channel, symbol))
        if subscribers is None or subscriber not in subscribers:
            return False
        subscribers.discard(subscriber)
        return True

    def watched(self, channel: str) -> list[str]:
        """Symbols with at least one subscriber on `channel`."""
        return [sym for (ch, sym), subs in self._subscribers.items() if ch == channel and subs]

    def drop(self, subscriber: Subscriber) -> None:
        for subscribers in self._subscribers.values():
            subscribers.discard(subscriber)

    def traded(self, print_: TradePrint) -> None:
        # The print itself is kept as the last trade, and made into the message only when
        # someone reads it: most prints have no subscriber.
        key = ("trades", print_.symbol)
        self._seq[key] += 1
        self._last[key] = print_
        subscribers = self._subscribers.get(key)
        if subscribers:
            self._send(key, _trade_data(print_), subscribers)

    def trial(self, symbol: str, price: Decimal, volume: int, time_ns: int) -> None:
        """A trial match before an auction: what it would trade now."""
        data = TradeData(symbol=symbol, price=price, size=volume, time=time_ns // 1000, trial=True)
        self._publish("trades", symbol, data)

    def book_changed(self, symbol: str) -> None:
        key = ("books", symbol)
        subscribers = self._subscribers.get(key)
        self._seq[key] += 1
        if subscribers:
            data = self._last[key] = self._book_snapshot(symbol)
            self._send(key, data, subscribers)

    def _publish(self, channel: str, symbol: str, data: Any) -> None:
        key = (channel, symbol)
        self._seq[key] += 1
        self._last[key] = data
        subscribers = self._subscribers.get(key)
        if subscribers:
            self._send(key, data, subscribers)

    def _send(self, key: tuple[str, str], data: Any, subscribers: set[Subscriber]) -> None:
        channel, symbol = key
        message = _encode(
            ChannelUpdate(channel=channel, symbol=symbol, seq=self._seq[key], data=data)
        )
        for subscriber in subscribers:
            subscriber.push(message)


def _trade_data(print_: TradePrint) -> TradeData:
    return TradeData(
        symbol=print_.symbol,
        price=print_.price,
        size=print_.quantity,
        volume=print_.volume,
        time=print_.time_ns // 1000,
        opening=print_.flag == "isOpen",
        closing=print_.flag == "isClose",
    )


def _error(subscriber: Subscriber, message: str) -> None:
    subscriber.push(_encode(error_frame(message)))


def _acknowledge(subscriber: Subscriber, event: str, channel: str, symbol: str) -> None:
    frame = SubscriptionFrame(event=event, data=Subscription(channel=channel, symbol=symbol))
    subscriber.push(_encode(frame))
