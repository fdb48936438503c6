"""The Fubon login that outlives disconnects: a logged-in SDK and the stock account it
trades, with a thread of its own for logging in and out (so a reconnect never queues
behind hung order calls). On event 300 (disconnected) it builds a new SDK, logs in again
with back-off, has the callbacks registered on it, and tells the broker, which settles
what waited for a callback. Callers take the SDK from `current`, which waits out a
reconnect for as long as an answer may take, then gives up with nothing sent."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tradeburst.brokers._errors import BrokerError, BrokerFatal, NotSent
from tradeburst.brokers.fubon._credentials import FubonCredentials
from tradeburst.brokers.fubon._mapping import refusal
from tradeburst.brokers.fubon._sdk import SdkFactory

__all__ = ["FubonSession"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class FubonSession:
    def __init__(
        self,
        credentials: FubonCredentials,
        *,
        url: str,
        factory: SdkFactory,
        answer_timeout_s: float,
        backoff_s: tuple[float, float],
    ) -> None:
        self._credentials = credentials
        self._url = url
        self._factory = factory
        self._answer_timeout_s = answer_timeout_s
        self._backoff_s = backoff_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._login_thread: ThreadPoolExecutor | None = None
        self._register: Callable[[Any], None] = lambda sdk: None
        self._on_reconnected: Callable[[], Awaitable[None]] | None = None
        self.sdk: Any = None
        self.account: Any = None
        self.account_no: str | None = None
        self.closed = False
        self.reconnects = 0
        self._ready = asyncio.Event()
        self._fatal: BrokerFatal | None = None
        self._reconnect_task: asyncio.Task[None] | None = None

    async def open(
        self,
        register: Callable[[Any], None],
        on_reconnected: Callable[[], Awaitable[None]],
    ) -> None:
        """Log in; `register` puts the callbacks on each new SDK, and `on_reconnected`
        runs after each log-in again."""
        self._loop = asyncio.get_running_loop()
        self._login_thread = ThreadPoolExecutor(1, thread_name_prefix="fubon-login")
        self._register, self._on_reconnected = register, on_reconnected
        self.sdk, self.account = await self._login()
        self._ready.set()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        sdk, self.sdk = self.sdk, None
        if sdk is not None and self._login_thread is not None:
            await self._end(sdk, logout=True)
        if self._login_thread is not None:
            self._login_thread.shutdown(wait=False, cancel_futures=True)

    async def current(self) -> tuple[Any, Any]:
        """The logged-in SDK and account, waiting out a reconnect."""
        if self.closed:
            raise NotSent("the Fubon broker is closed")
        if self.sdk is None and self._reconnect_task is None and self._fatal is None:
            raise RuntimeError("FubonBroker.connect() first")
        if not self._ready.is_set():
            try:
                async with asyncio.timeout(self._answer_timeout_s):
                    await self._ready.wait()
            except TimeoutError:
                raise NotSent("Fubon is reconnecting; nothing sent") from None
        if self._fatal is not None:
            raise self._fatal
        if self.sdk is None:
            raise NotSent("Fubon is not connected; nothing sent")
        return self.sdk, self.account

    # -- logging in -----------------------------------------------------------------------

    async def _login(self) -> tuple[Any, Any]:
        """A new SDK, logged in, with our callbacks: at open and after a disconnect."""
        try:
            sdk = await self._on_login_thread(self._factory, self._url)
        except Exception as exc:
            raise NotSent(f"cannot reach Fubon at {self._url}: {exc}") from None
        try:
            try:
                result = await self._on_login_thread(self._login_call, sdk)
            except Exception as exc:
                raise NotSent(f"login: {type(exc).__name__}: {exc}") from None
            if not result.is_success:
                raise refusal(result.message, "login") or BrokerFatal(f"login: {result.message}")
            account = self._pick(result.data)
            self._register(sdk)
        except BaseException:
            await self._end(sdk, logout=False)
            raise
        return sdk, account

    def _login_call(self, sdk: Any) -> Any:
        c = self._credentials
        cert = str(c.cert_path)
        # Positional: the SDK's parameter is named `pass`.
        if c.api_key is not None:
            return sdk.apikey_login(c.personal_id, c.api_key, cert, c.cert_password)
        return sdk.login(c.personal_id, c.password, cert, c.cert_password)

    def _pick(self, accounts: Any) -> Any:
        stock = [a for a in (accounts or []) if getattr(a, "account_type", "stock") == "stock"]
        wanted = self._credentials.account or self.account_no
        if wanted is not None:
            chosen = [a for a in stock if a.account == wanted]
            if not chosen:
                raise BrokerFatal(f"login: no stock account {wanted} on this login")
        elif len(stock) != 1:
            names = ", ".join(a.account for a in stock) or "none"
            raise BrokerFatal(
                f"login: {len(stock)} stock accounts ({names}); choose one with "
                "TRADEBURST_FUBON_ACCOUNT or `account` in the config file"
            )
        else:
            chosen = stock
        self.account_no = str(chosen[0].account)
        return chosen[0]

    async def _end(self, sdk: Any, *, logout: bool) -> None:
        def end() -> None:
            if logout:
                with contextlib.suppress(Exception):
                    sdk.logout()
            with contextlib.suppress(Exception):
                sdk.shutdown()

        with contextlib.suppress(Exception):
            await self._on_login_thread(end)

    async def _on_login_thread(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._loop is not None
        return await self._loop.run_in_executor(self._login_thread, functools.partial(fn, *args))

    # -- disconnects ----------------------------------------------------------------------

    def disconnected(self, message: str) -> None:
        """Event 300, on the loop."""
        if self.closed or self._reconnect_task is not None or self.sdk is None:
            return
        log.warning("Fubon disconnected (%s); logging in again", message)
        self._ready.clear()
        old, self.sdk = self.sdk, None
        assert self._loop is not None
        self._reconnect_task = self._loop.create_task(self._reconnect(old))

    async def _reconnect(self, old: Any) -> None:
        await self._end(old, logout=False)
        low, high = self._backoff_s
        attempt = 0
        while not self.closed:
            try:
                self.sdk, self.account = await self._login()
                break
            except BrokerFatal as exc:
                log.error("Fubon: cannot log in again (%s)", exc)
                self._fatal = exc
                break
            except BrokerError as exc:
                delay_s = min(high, low * 2**attempt)
                attempt += 1
                log.warning("Fubon: log-in again failed (%s); next try in %.1f s", exc, delay_s)
                await asyncio.sleep(delay_s)
        self._reconnect_task = None
        self._ready.set()
        if self.sdk is not None:
            self.reconnects += 1
            if self._on_reconnected is not None:
                await self._on_reconnected()
