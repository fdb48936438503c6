"""The SDK's callbacks: `set_on_order`, `set_on_order_changed`, `set_on_filled`,
`set_on_event`, delivered on a thread of their own in the order they were raised, as the
binary delivers them. As in the binary, anything may be registered (even None or a
number), and an exception raised by a callback is swallowed; here it is also logged at
DEBUG on `tradeburst.sim.fubon`, so a rehearsal can show it.

Fills reach the SDK from the exchange's account stream (`/v1/stream`), read by a second
thread with an event loop of its own: the one asynchronous part, private to the SDK, never
the script's. A login waits until the stream has said `subscribed`, so no fill of an order
placed after the login can be missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

from tradeburst.wire import FilledData, Frame, OrderResult

__all__ = ["AccountStream", "Callbacks"]

log = logging.getLogger("tradeburst.sim.fubon")

NAMES = ("on_order", "on_order_changed", "on_filled", "on_event")
STREAM_READY_TIMEOUT_S = 10.0


class Callbacks:
    """What the script registered, and the thread that calls it."""

    def __init__(self) -> None:
        self._registered: dict[str, Any] = {}
        self._queue: queue.SimpleQueue[tuple[str, Any, Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._deliver, name="fubon-callbacks", daemon=True)
        self._thread.start()
        self._stopped = False

    def register(self, name: str, callback: Any) -> None:
        self._registered[name] = callback

    def emit(self, name: str, code: Any, content: Any) -> None:
        if not self._stopped:
            self._queue.put((name, code, content))

    def _deliver(self) -> None:
        while (item := self._queue.get()) is not None:
            name, code, content = item
            callback = self._registered.get(name)
            if not callable(callback):
                continue
            try:
                callback(code, content)
            except Exception:  # the SDK swallows these: a script must catch its own
                log.debug("the %s callback raised", name, exc_info=True)

    def stop(self) -> None:
        """Deliver what was raised before, then no more; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._queue.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)


class AccountStream:
    """The exchange's account stream, read on a thread of its own: each fill is handed to
    `on_fill`, each change of an order to `on_change`; `on_lost` is called if the stream
    ends before `stop`."""

    def __init__(
        self,
        url: str,
        api_key: str,
        on_fill: Callable[[FilledData], None],
        on_change: Callable[[OrderResult], None],
        on_lost: Callable[[], None],
    ) -> None:
        self._url = url.replace("http", "ws", 1) + "/v1/stream"
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._on_fill = on_fill
        self._on_change = on_change
        self._on_lost = on_lost
        self._stopping = False
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._subscribed = False
        self._thread = threading.Thread(target=self._run, name="fubon-stream", daemon=True)

    def start(self) -> bool:
        """Start reading; True once the stream is subscribed, False if it could not be."""
        self._thread.start()
        return self._ready.wait(STREAM_READY_TIMEOUT_S) and self._subscribed

    def _run(self) -> None:
        with contextlib.suppress(Exception):
            asyncio.run(self._read())
        if self._subscribed and not self._stopping:
            self._on_lost()
        self._ready.set()

    async def _read(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = stop = asyncio.Event()
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(self._url, headers=self._headers, heartbeat=30) as socket,
        ):
            stopping = asyncio.ensure_future(stop.wait())
            while not stop.is_set():
                receive = asyncio.ensure_future(socket.receive())
                await asyncio.wait({receive, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not receive.done():
                    receive.cancel()
                    break
                message = receive.result()
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                self._handle(msgspec.json.decode(message.data, type=Frame))
            stopping.cancel()

    def _handle(self, frame: Frame) -> None:
        if frame.event == "subscribed":
            self._subscribed = True
            self._ready.set()
        elif frame.event == "filled":
            self._on_fill(msgspec.convert(frame.data, FilledData))
        elif frame.event == "order":
            self._on_change(msgspec.convert(frame.data, OrderResult))

    def stop(self) -> None:
        self._stopping = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # its loop has ended already
                loop.call_soon_threadsafe(stop.set)
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
