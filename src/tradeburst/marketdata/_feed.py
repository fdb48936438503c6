"""`MarketFeed`: the rehearsal exchange's market-data stream (`GET /v1/marketdata`) as an
async iterator of `Book`, `Trade` and `Gap` events.

It subscribes to every (channel, symbol) it was given, and keeps the connection: when the
socket closes or fails, it reconnects after a back-off and subscribes again; the
`Sequencer` then drops what was delivered already and reports what cannot be replayed,
so across a reconnect no update is delivered twice and none is lost without a `Gap`
saying so. A frame that does not decode is counted and skipped. One background task owns
the socket; events wait in an unbounded queue, so a slow reader costs memory, never an
update (the exchange, not the client, cuts a reader that falls too far behind).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

import aiohttp
import msgspec

from tradeburst.marketdata._sequencer import FeedStats, Sequencer
from tradeburst.marketdata._source import EventSource
from tradeburst.marketdata._wire import BadFrame, decode_frame
from tradeburst.wire import Subscription, SubscriptionFrame

__all__ = ["CHANNELS", "MarketFeed"]

log = logging.getLogger(__name__)

CHANNELS = ("trades", "books")
RECONNECT_BACKOFF_S = (0.05, 2.0)
"""First and largest pause before reconnecting; it doubles in between."""
_encode = msgspec.json.encode


class MarketFeed(EventSource):
    """Market data for `symbols` on `channels`, pushed over WebSocket. Use as an async
    context manager; iterate it for events."""

    def __init__(
        self,
        url: str,
        api_key: str,
        symbols: Iterable[str],
        *,
        channels: Sequence[str] = CHANNELS,
        backoff_s: tuple[float, float] = RECONNECT_BACKOFF_S,
    ) -> None:
        super().__init__()
        unknown = set(channels) - set(CHANNELS)
        if unknown:
            raise ValueError(f"channels must be among {CHANNELS}, not {sorted(unknown)}")
        self._url = url.rstrip("/") + "/v1/marketdata"
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._keys = [(ch, symbol) for symbol in dict.fromkeys(symbols) for ch in channels]
        self._backoff_s = backoff_s
        self._sequencer = Sequencer()
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self.connected = asyncio.Event()
        """Set while subscribed (tests and the runner wait on it)."""

    def __repr__(self) -> str:  # never the key
        return f"MarketFeed({self._url!r})"

    @property
    def stats(self) -> FeedStats:
        return self._sequencer.stats

    # -- the connection -------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._serve_once()
                failures = 0
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.info("market data connection failed (%s)", exc)
                failures += 1
            finally:
                self.connected.clear()
                self._socket = None
            self.stats.reconnects += 1
            low, high = self._backoff_s
            await asyncio.sleep(min(high, low * 2.0 ** min(failures, 16)))

    async def _serve_once(self) -> None:
        assert self._session is not None
        async with self._session.ws_connect(self._url, headers=self._headers) as socket:
            self._socket = socket
            for channel, symbol in self._keys:
                await socket.send_str(_command("subscribe", channel, symbol))
            self.connected.set()
            async for message in socket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    await self._on_text(socket, message.data)
                elif message.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                    break

    async def _on_text(self, socket: aiohttp.ClientWebSocketResponse, text: str) -> None:
        try:
            frame = decode_frame(text)
            events, resubscribe = self._sequencer.accept(frame)
        except BadFrame as exc:
            self.stats.bad_frames += 1
            log.warning("market data: skipped a frame (%s)", exc)
            return
        if frame.event == "error":
            log.warning("market data: the exchange says %s", frame.data)
        for event in events:
            self._events.put_nowait(event)
        if resubscribe and frame.channel is not None and frame.symbol is not None:
            # A fresh snapshot brings the key up to date; the sequencer drops what repeats.
            self.stats.resubscribes += 1
            await socket.send_str(_command("unsubscribe", frame.channel, frame.symbol))
            await socket.send_str(_command("subscribe", frame.channel, frame.symbol))


def _command(event: str, channel: str, symbol: str) -> str:
    """A text frame: the exchange reads commands from text frames only."""
    frame = SubscriptionFrame(event=event, data=Subscription(channel=channel, symbol=symbol))
    return _encode(frame).decode()
