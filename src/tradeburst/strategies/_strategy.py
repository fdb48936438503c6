"""The `Strategy` API: what a strategy with logic subclasses.

A strategy gets four async callbacks: `on_start` once before anything else, `on_tick`
for every book or trade of the symbols it lists in `symbols`, `on_order` when one of its
orders is settled (accepted, rejected, or left unknown) or is cancelled, and `on_stop`
once at the end. Its `run` is its body: by default it waits until `stop()` is called or
the run ends; override it for a strategy that works through a plan (a TWAP does). It
sends with `await self.submit(order)`, which checks the order against the market's rules
and the run's risk limits (raising `OrderRefused` with the reasons), journals it under a
client order id and hands it to the engine, and returns the id at once; the answer
arrives later in `on_order`. `await self.cancel(user_def)` cancels through the cancel
reserve of the account's budget, so it gets through however hard the others send.

Callbacks run one at a time per strategy, in the order events arrived. A strategy whose
callback raises is stopped and reported; the other strategies go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import msgspec

from tradeburst.engine import InputProblem
from tradeburst.errors import TradeburstError
from tradeburst.marketdata import Tick
from tradeburst.model import Order

__all__ = ["OrderRefused", "OrderUpdate", "Strategy", "StrategyHost"]


class OrderRefused(TradeburstError, ValueError):
    """`submit` refused orders before anything was journaled or sent."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = list(problems)


class OrderUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one order a strategy submitted."""

    user_def: str
    """The client order id `submit` returned."""
    tag: str
    order: Order
    state: str
    """accepted, rejected, unknown, not_sent, or cancelled."""
    order_no: str | None = None
    status: int | None = None
    message: str | None = None


class StrategyHost(Protocol):
    """What the runner gives a strategy (internal: strategies use the methods of
    `Strategy`)."""

    async def submit(self, orders: Sequence[Order], tag: str) -> list[str]: ...

    async def cancel(self, user_def: str) -> bool: ...

    def exchange_time_ns(self) -> int: ...

    def stop(self) -> None: ...


class Strategy:
    """Subclass this and override what you need; every callback may await."""

    symbols: Sequence[str] = ()
    """Symbols whose books and trades reach `on_tick`."""

    def __init__(self, *, name: str, weight: float = 1.0, params: Mapping[str, Any] | None = None):
        self.name = name
        self.weight = weight
        self.params: dict[str, Any] = dict(params or {})
        """The `params` table of the strategy's TOML entry."""
        self._host: StrategyHost | None = None
        self._stopped = asyncio.Event()

    # -- callbacks ------------------------------------------------------------------------

    async def on_start(self) -> None:
        """Once, before any other callback."""

    async def on_tick(self, tick: Tick) -> None:
        """A `Book` or `Trade` of one of `symbols`."""

    async def on_order(self, update: OrderUpdate) -> None:
        """One of this strategy's orders was settled or cancelled."""

    async def on_stop(self) -> None:
        """Once, at the end, even after a failure."""

    async def run(self) -> None:
        """The strategy's body; it ends when this returns. By default: until `stop()`."""
        await self._stopped.wait()

    # -- actions --------------------------------------------------------------------------

    async def submit(self, order: Order | Sequence[Order], *, tag: str = "") -> list[str]:
        """Send one order or several (together, in one go through the engine); their
        client order ids, once journaled. Raises `OrderRefused` if any is invalid (then
        none is sent)."""
        orders = [order] if isinstance(order, Order) else list(order)
        return await self._bound().submit(orders, tag or self.name)

    async def cancel(self, user_def: str) -> bool:
        """Cancel an order this strategy placed; whether the broker cancelled it (not if
        it refused: the order was already filled or cancelled)."""
        return await self._bound().cancel(user_def)

    def stop(self) -> None:
        """End this strategy: `run` returns, what is in flight is still settled."""
        self._stopped.set()
        if self._host is not None:
            self._host.stop()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def exchange_time_ns(self) -> int:
        """The exchange's clock now (estimated from the broker's, ns since the epoch)."""
        return self._bound().exchange_time_ns()

    def _bound(self) -> StrategyHost:
        if self._host is None:
            raise RuntimeError(f"strategy {self.name} is not running under a runner")
        return self._host

    def bind(self, host: StrategyHost) -> None:
        """Called by the runner before `on_start`."""
        self._host = host
