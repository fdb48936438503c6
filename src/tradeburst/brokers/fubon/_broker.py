"""`FubonBroker`: the `Broker` protocol over the `fubon_neo` SDK (2.3.1).

Every SDK call blocks, so each runs in a `ThreadPoolExecutor` bounded by the account's
connections (the Fubon profile's 10). Single orders go out blocking by default (the
return value is the outcome), or with `unblock=True` (the return value is a status-4 ACK
and the outcome comes by callback). A batch of up to 30 always answers with ACKs; the
outcome of each order arrives by callback, out of order, matched by `seq_no`.

Outcomes: an answer becomes an `OrderState`; a failed result is a rate refusal
(`RateLimited`, nothing placed), a connection-limit refusal (`NotSent`), a login problem
(`BrokerFatal`), or else the broker's "no" to the order (status 90). An SDK call that
raises or hangs, or an ACK whose outcome never comes, may have placed the order: it is
`AnswerLost`, for the engine to reconcile by `user_def`. In a batch, orders without an
outcome are answered with a state that names no order, which the engine reconciles.

Logging in, and in again on event 300 (disconnected), is `_session`'s. After a log-in
again the broker asks for today's orders, settling whatever waited for a callback. Fills
pushed during the outage are not replayed; `fills()` asks for them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import warnings
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from tradeburst.brokers._errors import AnswerLost, BrokerError, BrokerFatal, NotSent
from tradeburst.brokers._protocol import Capabilities, Instrument, OrderState
from tradeburst.brokers.fubon._callbacks import CallbackBridge
from tradeburst.brokers.fubon._credentials import FubonCredentials
from tradeburst.brokers.fubon._mapping import (
    PENDING_STATUSES,
    TAIPEI,
    fill_of,
    price_of,
    price_text,
    refusal,
    sdk_order,
    state_of,
)
from tradeburst.brokers.fubon._sdk import PRODUCTION_URL, SdkFactory, real_sdk, sdk_module
from tradeburst.brokers.fubon._session import FubonSession
from tradeburst.limits import PROFILES, LimitProfile
from tradeburst.model import Fill, Order, OrderStatus

__all__ = ["DEFAULT_ANSWER_TIMEOUT_S", "MAX_BATCH_ORDERS", "FubonBroker"]

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BATCH_ORDERS = 30
"""SDK 2.3.1 refuses longer batches (undocumented; found in the binary)."""
DEFAULT_ANSWER_TIMEOUT_S = 10.0
"""How long a call, or an ACK's callback, may take before the answer counts as lost."""
RECONNECT_BACKOFF_S = (0.5, 5.0)


class FubonBroker:
    """A Fubon Neo stock account, logged in with `credentials` at `url`."""

    name = "fubon"

    def __init__(
        self,
        credentials: FubonCredentials,
        *,
        url: str = PRODUCTION_URL,
        unblock: bool = False,
        connections: int | None = None,
        answer_timeout_s: float = DEFAULT_ANSWER_TIMEOUT_S,
        sdk_factory: SdkFactory | None = None,
        reconnect_backoff_s: tuple[float, float] = RECONNECT_BACKOFF_S,
    ) -> None:
        self._url = url
        self._unblock = unblock
        self._profile = PROFILES["fubon"]
        limit = self._profile.connections or 1
        self._connections = max(1, min(limit, connections or limit))
        self._answer_timeout_s = answer_timeout_s
        self._session = FubonSession(
            credentials,
            url=url,
            factory=sdk_factory or real_sdk,
            answer_timeout_s=answer_timeout_s,
            backoff_s=reconnect_backoff_s,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._bridge: CallbackBridge | None = None
        self._raw: dict[str, Any] = {}
        """The latest full SDK `OrderResult` per order_no: what cancel and modify take."""
        self._user_defs: dict[str, str] = {}
        """order_no → user_def, for fills (the SDK's fill history carries no user_def)."""
        self._prepared: dict[str, Any] = {}
        """SDK `Order`s built ahead by `prepare`, by client order id."""

    def __repr__(self) -> str:  # the credentials' secrets have repr=False
        return f"FubonBroker({self._url!r}, account={self._session.account_no!r})"

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        session = getattr(self, "_session", None)
        if session is not None and session.sdk is not None and not session.closed:
            _warn(f"{self!r} was not closed", ResourceWarning, stacklevel=2)

    @property
    def url(self) -> str:
        return self._url

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> FubonBroker:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def connect(self) -> None:
        if self._session.sdk is not None:
            return
        if self._session.closed:
            raise NotSent("the Fubon broker is closed")
        self._loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(self._connections, thread_name_prefix="fubon")
        self._bridge = CallbackBridge(self._loop, self._session.disconnected, self._remember)
        try:
            await self._session.open(self._bridge.register, self._settle_after_reconnect)
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._session.closed:
            return
        await self._session.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    @property
    def reconnects(self) -> int:
        """How many times it logged in again after a disconnect."""
        return self._session.reconnects

    async def _settle_after_reconnect(self) -> None:
        """Callbacks lost in the outage are not replayed: today's orders tell instead."""
        try:
            records = await self._records()
        except BrokerError as exc:
            log.warning("Fubon: orders not reconciled after the reconnect (%s)", exc)
            return
        assert self._bridge is not None
        settled = self._bridge.settle_waiting([(raw.seq_no, state) for raw, state in records])
        log.info("Fubon: reconnected; %d waiting orders settled from the query", settled)

    # -- what the broker declares ---------------------------------------------------------

    @property
    def account(self) -> str:
        if self._session.account_no is None:
            raise RuntimeError("FubonBroker.connect() first")
        return self._session.account_no

    @property
    def profile(self) -> LimitProfile:
        return self._profile

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            max_batch_orders=MAX_BATCH_ORDERS, connections=self._connections, has_clock=False
        )

    async def warm(self, connections: int) -> None:
        """One WebSocket carries every call; warming starts the worker threads."""
        count = max(1, min(connections, self._connections))
        assert self._loop is not None
        await asyncio.gather(
            *(self._loop.run_in_executor(self._executor, time.sleep, 0.001) for _ in range(count))
        )

    def prepare(self, orders: Sequence[Order]) -> None:
        """Build the SDK `Order` of each order now, so the burst only sends."""
        for order in orders:
            if order.user_def is not None:
                self._prepared[order.user_def] = sdk_order(order)

    def _sdk_order(self, order: Order) -> Any:
        # Taken, not kept: a resend is rare and builds afresh.
        built = self._prepared.pop(order.user_def, None) if order.user_def else None
        return built if built is not None else sdk_order(order)

    async def server_time_ns(self) -> int:
        """The SDK has no clock call: the local clock stands in."""
        return time.time_ns()

    async def instruments(self) -> dict[str, Instrument]:
        sdk, account = await self._session.current()
        module = sdk_module()
        found: dict[str, Instrument] = {}
        for kind, stock_type in (("stock", module.StockType.Stock),
                                 ("etf", module.StockType.EtfAndEtn)):  # fmt: skip
            result = await self._call(
                "query_symbol_snapshot",
                sdk.stock.query_symbol_snapshot,
                account,
                module.MarketType.Common,
                [stock_type],
            )
            self._check_query(result, "query_symbol_snapshot")
            quotes = getattr(result.data, "symbols", result.data) or []
            for quote in quotes:
                if None in (quote.reference_price, quote.limitup_price, quote.limitdown_price):
                    continue  # no price today: not tradable
                found[quote.symbol] = Instrument(
                    symbol=quote.symbol,
                    name=quote.symbol,
                    kind=kind,
                    reference_twd=price_of(quote.reference_price),
                    limit_up_twd=price_of(quote.limitup_price),
                    limit_down_twd=price_of(quote.limitdown_price),
                )
        return found

    # -- order actions --------------------------------------------------------------------

    async def place(self, order: Order) -> OrderState:
        sdk, account = await self._session.current()
        built = self._sdk_order(order)
        if self._unblock:
            result = await self._call("place_order", sdk.stock.place_order, account, built, True)
        else:
            result = await self._call("place_order", sdk.stock.place_order, account, built)
        seq_no, state = self._answer(result, order, "place_order")
        if state.status in PENDING_STATUSES and seq_no:
            assert self._bridge is not None
            outcome = (await self._bridge.outcomes([seq_no], self._answer_timeout_s)).get(seq_no)
            if outcome is None:
                raise AnswerLost(f"place_order: no outcome for seq_no {seq_no}")
            state = outcome
        return _final(state, order)

    async def place_batch(self, orders: Sequence[Order]) -> list[OrderState]:
        if not orders:
            return []
        if len(orders) > MAX_BATCH_ORDERS:
            raise ValueError(f"a Fubon batch takes at most {MAX_BATCH_ORDERS} orders")
        sdk, account = await self._session.current()
        built = [self._sdk_order(order) for order in orders]
        result = await self._call("batch_place_order", sdk.stock.batch_place_order, account, built)
        if not result.is_success:
            error = refusal(result.message, "batch_place_order")
            if error is not None:
                raise error
            return [_failed(order, result.message) for order in orders]
        acks = list(result.data or [])
        if len(acks) != len(orders):
            raise AnswerLost(f"batch of {len(orders)} answered with {len(acks)} ACKs")
        try:
            answered = [(ack.seq_no, state_of(ack)) for ack in acks]
        except (AttributeError, ValueError, TypeError) as exc:
            raise AnswerLost(f"batch_place_order: unreadable answer ({exc})") from exc
        waiting = [seq for seq, state in answered if seq and state.status in PENDING_STATUSES]
        assert self._bridge is not None
        outcomes = await self._bridge.outcomes(waiting, self._answer_timeout_s)
        states: list[OrderState] = []
        for order, (seq_no, ack) in zip(orders, answered, strict=True):
            state = outcomes.get(seq_no, ack)
            if state.status in PENDING_STATUSES or state.status is OrderStatus.CONNECTION_TIMEOUT:
                states.append(_unnamed(order))  # only a query can tell
            else:
                states.append(_named(state, order))
        if all(state.user_def is None for state in states):
            raise AnswerLost(f"batch_place_order: no outcome for any of {len(orders)} orders")
        return states

    async def cancel(self, order_no: str) -> OrderState:
        sdk, account = await self._session.current()
        raw = await self._order_result(order_no)
        result = await self._call("cancel_order", sdk.stock.cancel_order, account, raw)
        return self._changed(result, raw, OrderStatus.CANCEL_FAILED, "cancel_order")

    async def modify_price(self, order_no: str, price_twd: Decimal) -> OrderState:
        sdk, account = await self._session.current()
        raw = await self._order_result(order_no)
        change = sdk.stock.make_modify_price_obj(raw, price_text(price_twd), None)
        result = await self._call("modify_price", sdk.stock.modify_price, account, change)
        return self._changed(result, raw, OrderStatus.MODIFY_PRICE_FAILED, "modify_price")

    async def modify_quantity(self, order_no: str, quantity: int) -> OrderState:
        sdk, account = await self._session.current()
        raw = await self._order_result(order_no)
        change = sdk.stock.make_modify_quantity_obj(raw, quantity)
        result = await self._call("modify_quantity", sdk.stock.modify_quantity, account, change)
        return self._changed(result, raw, OrderStatus.MODIFY_QUANTITY_FAILED, "modify_quantity")

    # -- queries --------------------------------------------------------------------------

    async def order_results(self, user_def: str | None = None) -> list[OrderState]:
        """Today's orders (the SDK has no filter: `user_def` is applied here)."""
        states = [state for _, state in await self._records()]
        if user_def is not None:
            states = [s for s in states if s.user_def == user_def]
        return states

    async def fills(self) -> list[Fill]:
        sdk, account = await self._session.current()
        today = datetime.now(TAIPEI).strftime("%Y%m%d")
        result = await self._call("filled_history", sdk.stock.filled_history, account, today)
        self._check_query(result, "filled_history")
        history = list(result.data or [])
        if any(f.order_no not in self._user_defs for f in history):
            await self._records()  # learns the user_def of every order today
        try:
            return [fill_of(f, self._user_defs.get(f.order_no)) for f in history]
        except (AttributeError, ValueError, TypeError) as exc:
            raise AnswerLost(f"filled_history: unreadable answer ({exc})") from exc

    async def events(self) -> AsyncIterator[OrderState | Fill]:
        if self._bridge is None:
            raise RuntimeError("FubonBroker.connect() first")
        queue: asyncio.Queue[OrderState | Fill] = asyncio.Queue()
        self._bridge.subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._bridge.subscribers.discard(queue)

    # -- plumbing -------------------------------------------------------------------------

    async def _records(self) -> list[tuple[Any, OrderState]]:
        sdk, account = await self._session.current()
        result = await self._call("get_order_results", sdk.stock.get_order_results, account)
        self._check_query(result, "get_order_results")
        try:
            # One record we cannot read spoils the query: skipping it would make its
            # order look missing, and a missing order is sent again.
            records = [(raw, state_of(raw)) for raw in result.data or []]
        except (AttributeError, ValueError, TypeError) as exc:
            raise AnswerLost(f"get_order_results: unreadable record ({exc})") from exc
        for state, raw in ((s, r) for r, s in records):
            self._remember(state, raw)
        return records

    async def _order_result(self, order_no: str) -> Any:
        raw = self._raw.get(order_no)
        if raw is None:
            await self._records()
            raw = self._raw.get(order_no)
        if raw is None:
            raise BrokerFatal(f"Fubon has no order {order_no} of this account today")
        return raw

    def _remember(self, state: OrderState, raw: Any) -> None:
        if state.order_no and state.symbol:  # a full record (a refused cancel's is not)
            self._raw[state.order_no] = raw
            if state.user_def:
                self._user_defs[state.order_no] = state.user_def

    async def _call(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on a worker thread. Anything but a return may have acted."""
        assert self._loop is not None
        try:
            async with asyncio.timeout(self._answer_timeout_s):
                return await self._loop.run_in_executor(
                    self._executor, functools.partial(fn, *args)
                )
        except TimeoutError:
            raise AnswerLost(f"{what}: no answer in {self._answer_timeout_s:g} s") from None
        except RuntimeError as exc:
            if self._session.closed:  # the executor is shut down
                raise NotSent(f"{what}: the Fubon broker is closed") from None
            raise AnswerLost(f"{what}: {exc}") from exc
        except Exception as exc:
            raise AnswerLost(f"{what}: {type(exc).__name__}: {exc}") from exc

    def _answer(self, result: Any, order: Order, what: str) -> tuple[str | None, OrderState]:
        if not result.is_success:
            error = refusal(result.message, what)
            if error is not None:
                raise error
            return None, _failed(order, result.message)
        try:
            raw = result.data
            state = state_of(raw)
            seq_no = raw.seq_no
        except (AttributeError, ValueError, TypeError) as exc:
            raise AnswerLost(f"{what}: unreadable answer ({exc})") from exc
        self._remember(state, raw)
        return seq_no, state

    def _changed(self, result: Any, raw: Any, failed: OrderStatus, what: str) -> OrderState:
        if not result.is_success:
            error = refusal(result.message, what)
            if error is not None:
                raise error
            before = state_of(raw)
            return msgspec.structs.replace(before, status=failed, message=result.message)
        try:
            state = state_of(result.data)
        except (AttributeError, ValueError, TypeError) as exc:
            raise AnswerLost(f"{what}: unreadable answer ({exc})") from exc
        self._remember(state, result.data)
        return state

    @staticmethod
    def _check_query(result: Any, what: str) -> None:
        if not result.is_success:
            raise refusal(result.message, what) or NotSent(f"{what}: {result.message}")


def _failed(order: Order, message: str | None) -> OrderState:
    return OrderState(
        user_def=order.user_def,
        order_no=None,
        status=OrderStatus.FAILED,
        symbol=order.symbol,
        quantity=0,
        message=message,
    )


def _named(state: OrderState, order: Order) -> OrderState:
    """The answer to `order` (paired by `seq_no`), under its client id."""
    if state.user_def is None:
        return msgspec.structs.replace(state, user_def=order.user_def)
    return state


def _unnamed(order: Order) -> OrderState:
    """A batch answer that names no order: the engine reconciles it by `user_def`."""
    return OrderState(
        user_def=None,
        order_no=None,
        status=OrderStatus.SENT_TO_BACKEND,
        symbol=order.symbol,
        quantity=order.quantity,
        message="no outcome yet",
    )


def _final(state: OrderState, order: Order) -> OrderState:
    if state.status is OrderStatus.CONNECTION_TIMEOUT or state.status in PENDING_STATUSES:
        raise AnswerLost(f"place_order: status {int(state.status)}, no outcome yet")
    return _named(state, order)
