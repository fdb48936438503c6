"""The `Broker` protocol: what the engine needs from any broker, in tradeburst's own
terms. Transport stays behind it: the rehearsal exchange's HTTP client implements it with
aiohttp, and a blocking vendor SDK implements it through a bounded executor.

Answers are `OrderState`s (one per order, in request order for a batch); failures are the
exceptions of `tradeburst.brokers._errors`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import msgspec

from tradeburst.limits import LimitProfile
from tradeburst.model import Fill, Order, OrderStatus
from tradeburst.rules import ETF_TICKS, STOCK_TICKS, TickLadder

__all__ = ["Broker", "Capabilities", "Instrument", "OrderState"]


class OrderState(msgspec.Struct, frozen=True, kw_only=True):
    """One order as the broker last described it."""

    user_def: str | None
    order_no: str | None
    status: OrderStatus
    symbol: str
    quantity: int
    """Effective quantity in shares (after any reduction), filled part included."""
    filled_qty: int = 0
    message: str | None = None
    last_time: str | None = None
    """The broker's own time of the last change, as it writes it (HH:MM:SS.ffffff)."""
    counted_ns: int | None = None
    """In the answer to an order action: when the broker's rate limit counted its request,
    ns since the epoch on the broker's clock; None where the broker does not say."""

    @property
    def accepted(self) -> bool:
        return self.status is not OrderStatus.FAILED

    @property
    def is_open(self) -> bool:
        return not self.status.is_final and self.filled_qty < self.quantity


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """A listed symbol with today's reference and limit prices."""

    symbol: str
    name: str
    kind: str
    """`stock` or `etf`: which tick ladder applies, unless `ticks` says."""
    reference_twd: Decimal
    limit_up_twd: Decimal
    limit_down_twd: Decimal
    ticks: TickLadder | None = None
    """The ladder the broker says the symbol follows (the rehearsal exchange says, and may
    run another, as for the tick reform above 1000); None for TWSE's own."""

    @property
    def ladder(self) -> TickLadder:
        if self.ticks is not None:
            return self.ticks
        return ETF_TICKS if self.kind == "etf" else STOCK_TICKS


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    max_batch_orders: int
    """Orders one batch call may carry; 1 when the broker has no batch call."""
    connections: int
    """Concurrent connections the broker allows this client."""
    has_clock: bool = True
    """Whether `server_time_ns` reads the broker's clock; False when it can only give ours
    (the Fubon SDK has no clock call), so a rush's target is on this machine's clock."""
    always_open: bool = False
    """Whether the broker takes every kind of order at any hour (a rehearsal exchange
    started with `--always-open`); otherwise TWSE's timetable (`tradeburst.rules`) says."""
    counted_resolution_ns: int | None = None
    """The resolution of the stamps its rate limit counts by, when its answers carry them
    (`OrderState.counted_ns`) and it is known to count by them; None otherwise (Fubon,
    whose counting rule is undocumented)."""


class Broker(Protocol):
    """An account at a broker. Open with `connect()` (log in, warm connections), close with
    `aclose()`; both idempotent."""

    @property
    def name(self) -> str: ...

    @property
    def account(self) -> str: ...

    @property
    def profile(self) -> LimitProfile:
        """The limits the broker declares for this account (valid after `connect`)."""
        ...

    @property
    def capabilities(self) -> Capabilities: ...

    async def connect(self) -> None: ...

    async def aclose(self) -> None: ...

    async def warm(self, connections: int) -> None:
        """Open and hold `connections` connections so the burst pays no setup."""
        ...

    def prepare(self, orders: Sequence[Order]) -> None:
        """Build what sending `orders` will need (request bodies, SDK objects) now, ahead
        of the burst; sending works without it, only slower."""
        ...

    async def prepare_opening(self, requests: Sequence[tuple[Sequence[Order], bool]]) -> None:
        """Build a rush's opening requests (each: its orders, whether a batch) whole, on
        connections set aside, so that at the target `place`/`place_batch` of those orders
        only write them; sending works without it, only slower."""
        ...

    def write_opening(self, index: int) -> bool:
        """Write the `index`th request given to `prepare_opening`, as it built it, in this
        call (no await, so that the whole opening can leave back to back); whether it
        went. `place`/`place_batch` of the same orders then only read its answer. False
        where none was built or it can no longer go: those orders go the usual way."""
        ...

    def end_opening(self) -> None:
        """Give back what `prepare_opening` set aside and was not sent."""
        ...

    async def instruments(self) -> dict[str, Instrument]: ...

    async def server_time_ns(self) -> int:
        """The broker's clock, ns since the epoch."""
        ...

    async def place(self, order: Order) -> OrderState: ...

    async def place_batch(self, orders: Sequence[Order]) -> list[OrderState]:
        """One call for up to `capabilities.max_batch_orders` orders; answers in order."""
        ...

    async def cancel(self, order_no: str) -> OrderState: ...

    async def modify_price(self, order_no: str, price_twd: Decimal) -> OrderState: ...

    async def modify_quantity(self, order_no: str, quantity: int) -> OrderState: ...

    async def order_results(self, user_def: str | None = None) -> list[OrderState]:
        """Today's orders of the account, or only those tagged `user_def`."""
        ...

    async def fills(self) -> list[Fill]: ...

    def events(self) -> AsyncIterator[OrderState | Fill]:
        """Order changes and fills as the broker pushes them."""
        ...
