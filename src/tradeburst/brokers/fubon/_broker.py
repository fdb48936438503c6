"""`FubonBroker`: the `Broker` protocol over the `fubon_neo` SDK (2.3.1), run in a worker
process of its own (`_worker`), so that no SDK call can freeze the engine's loop.

Single orders go out blocking by default (the return value is the outcome), or with
`unblock=True` (a status-4 ACK; the outcome comes by callback). A batch of up to 30 always
answers with ACKs; each order's outcome arrives by callback, out of order, matched by
`seq_no`.

A reply is read into outcomes by `_replies`, queries are asked by `_queries`, and the
session (`_session`) replaces a worker that died or missed a deadline; the broker then
settles from today's orders whatever waited for a callback.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeburst.brokers._account import Position, WorkingOrder
from tradeburst.brokers._errors import AnswerLost, BrokerError, NotSent
from tradeburst.brokers._protocol import Capabilities, Instrument, OrderState
from tradeburst.brokers.fubon._callbacks import CallbackBridge
from tradeburst.brokers.fubon._credentials import FubonCredentials
from tradeburst.brokers.fubon._deadlines import Deadlines
from tradeburst.brokers.fubon._folder import sweep_abandoned
from tradeburst.brokers.fubon._mapping import PENDING_STATUSES, price_text
from tradeburst.brokers.fubon._process import next_call_id as _id
from tradeburst.brokers.fubon._queries import AccountQueries
from tradeburst.brokers.fubon._replies import batch_states, change_of, failed, final, order_reply
from tradeburst.brokers.fubon._sdk import PRODUCTION_URL
from tradeburst.brokers.fubon._session import FubonSession
from tradeburst.brokers.fubon._wire import Call, Login, Placed, Reply
from tradeburst.limits import PROFILES, LimitProfile
from tradeburst.model import Fill, Order, OrderStatus

__all__ = ["DEFAULT_ANSWER_TIMEOUT_S", "MAX_BATCH_ORDERS", "FubonBroker"]

log = logging.getLogger(__name__)

MAX_BATCH_ORDERS = 30
"""SDK 2.3.1 refuses longer batches (undocumented; found in the binary)."""
DEFAULT_ANSWER_TIMEOUT_S = 10.0
"""How long an ACK's outcome may take to come by callback before it counts as lost."""
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
        deadlines: Deadlines | None = None,
        sdk_factory: str | None = None,
        sdk_options: dict[str, Any] | None = None,
        keep_sdk_log: Path | None = None,
        reconnect_backoff_s: tuple[float, float] = RECONNECT_BACKOFF_S,
    ) -> None:
        self._url = url
        self._unblock = unblock
        self._profile = PROFILES["fubon"]
        limit = self._profile.connections or 1
        self._connections = max(1, min(limit, connections or limit))
        self._answer_timeout_s = answer_timeout_s
        c = credentials
        login = Login(
            url=url, personal_id=c.personal_id, password=c.password, api_key=c.api_key,
            cert_path=None if c.cert_path is None else str(c.cert_path),
            cert_password=c.cert_password, account=c.account, factory=sdk_factory,
            factory_options=dict(sdk_options or {}), connections=self._connections,
        )  # fmt: skip
        self._bridge = CallbackBridge(lambda state: self._queries.remember(state))
        self._session = FubonSession(
            login,
            deadlines=deadlines or Deadlines(),
            backoff_s=reconnect_backoff_s,
            keep_log=keep_sdk_log,
            on_push=self._bridge.push,
        )
        self._queries = AccountQueries(self._session.call)

    def __repr__(self) -> str:  # the credentials' secrets have repr=False
        return f"FubonBroker({self._url!r}, account={self._session.account_no!r})"

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        session = getattr(self, "_session", None)
        if session is not None and session.opened and not session.closed:
            _warn(f"{self!r} was not closed", ResourceWarning, stacklevel=2)

    @property
    def url(self) -> str:
        return self._url

    @property
    def reconnects(self) -> int:
        """How many times the SDK worker was replaced and logged in again."""
        return self._session.reconnects

    @property
    def worker_pid(self) -> int | None:
        """The SDK worker's process id (None between workers)."""
        return self._session.worker_pid

    @property
    def kept_sdk_log(self) -> list[Path]:
        """The SDK's files moved to `keep_sdk_log` so far: they hold credentials."""
        return list(self._session.kept)

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> FubonBroker:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def connect(self) -> None:
        """Start the SDK worker and log in; cancelling it kills the worker at once."""
        if self._session.opened:
            return
        if self._session.closed:
            raise NotSent("the Fubon broker is closed")
        await asyncio.to_thread(sweep_abandoned)
        try:
            await self._session.open(self._settle_after_replacement)
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        await self._session.close()

    async def _settle_after_replacement(self) -> None:
        """Callbacks lost with the old worker are not replayed: today's orders tell."""
        try:
            records = await self._queries.records()
        except BrokerError as exc:
            log.warning("Fubon: orders not reconciled after the new login (%s)", exc)
            return
        settled = self._bridge.settle_waiting([(p.seq_no, p.state) for p in records])
        log.info("Fubon: logged in again; %d waiting orders settled from the query", settled)

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
        """One WebSocket in the worker carries every call: nothing to warm."""

    def prepare(self, orders: Sequence[Order]) -> None:
        """The SDK's `Order`s are built in the worker, as each call arrives."""

    async def prepare_opening(self, requests: Sequence[tuple[Sequence[Order], bool]]) -> None:
        """The SDK builds and sends its requests itself: nothing to build ahead here."""

    def write_opening(self, index: int) -> bool:
        """Nothing was built ahead: the SDK sends each request itself."""
        return False

    def end_opening(self) -> None:
        """Nothing was set aside."""

    async def server_time_ns(self) -> int:
        """The SDK has no clock call: the local clock stands in."""
        return time.time_ns()

    async def instruments(self) -> dict[str, Instrument]:
        return await self._queries.instruments()

    # -- order actions --------------------------------------------------------------------

    async def place(self, order: Order) -> OrderState:
        call = Call(id=_id(), method="place", orders=[order], unblock=self._unblock)
        reply = await self._session.call(call)
        placed = self._placed(reply, "place_order", [order])
        if placed is None:
            return failed(order, reply.message)
        seq_no, state = placed[0].seq_no, placed[0].state
        if state.status in PENDING_STATUSES and seq_no:
            outcome = (await self._bridge.outcomes([seq_no], self._answer_timeout_s)).get(seq_no)
            if outcome is None:
                raise AnswerLost(f"place_order: no outcome for seq_no {seq_no}")
            state = outcome
        return final(state, order)

    async def place_batch(self, orders: Sequence[Order]) -> list[OrderState]:
        if not orders:
            return []
        if len(orders) > MAX_BATCH_ORDERS:
            raise ValueError(f"a Fubon batch takes at most {MAX_BATCH_ORDERS} orders")
        reply = await self._session.call(Call(id=_id(), method="batch", orders=list(orders)))
        placed = self._placed(reply, "batch_place_order", orders)
        if placed is None:
            return [failed(order, reply.message) for order in orders]
        waiting = [p.seq_no for p in placed if p.seq_no and p.state.status in PENDING_STATUSES]
        outcomes = await self._bridge.outcomes(waiting, self._answer_timeout_s)
        return batch_states(orders, placed, outcomes)

    async def cancel(self, order_no: str) -> OrderState:
        call = Call(id=_id(), method="cancel", order_no=order_no)
        return await self._change(call, OrderStatus.CANCEL_FAILED, "cancel_order")

    async def modify_price(self, order_no: str, price_twd: Decimal) -> OrderState:
        call = Call(id=_id(), method="modify_price", order_no=order_no,
                    price=price_text(price_twd))  # fmt: skip
        return await self._change(call, OrderStatus.MODIFY_PRICE_FAILED, "modify_price")

    async def modify_quantity(self, order_no: str, quantity: int) -> OrderState:
        call = Call(id=_id(), method="modify_quantity", order_no=order_no, quantity=quantity)
        return await self._change(call, OrderStatus.MODIFY_QUANTITY_FAILED, "modify_quantity")

    # -- queries --------------------------------------------------------------------------

    async def order_results(self, user_def: str | None = None) -> list[OrderState]:
        return await self._queries.order_results(user_def)

    async def fills(self) -> list[Fill]:
        return await self._queries.fills()

    async def working_orders(self) -> list[WorkingOrder]:
        return await self._queries.working_orders()

    async def positions(self) -> list[Position]:
        return await self._queries.positions()

    async def events(self) -> AsyncIterator[OrderState | Fill]:
        if not self._session.opened:
            raise RuntimeError("FubonBroker.connect() first")
        async for item in self._bridge.follow():
            yield item

    # -- plumbing -------------------------------------------------------------------------

    def _placed(self, reply: Reply, what: str, orders: Sequence[Order]) -> list[Placed] | None:
        placed = order_reply(reply, what, orders)
        for answer in placed or ():
            self._queries.remember(answer.state)
        return placed

    async def _change(self, call: Call, failed_status: OrderStatus, what: str) -> OrderState:
        state = change_of(await self._session.call(call), call, failed_status, what)
        self._queries.remember(state)
        return state
