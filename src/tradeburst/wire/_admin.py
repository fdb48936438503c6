"""The admin routes' answers (`/v1/admin/...`, behind the admin key): every accepted order
of every account with the exchange's receive stamp, which a rush reads to tell its fire
error on the exchange's clock, and the exchange's counters. Real brokers have no such API.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from tradeburst.model import OrderStatus

__all__ = ["AdminOrder", "AdminOrders", "AdminStats"]

_RECEIVED_NS = (
    "The exchange's receive stamp of the order's request: when its first byte reached the"
    " exchange's socket, plus the modelled inbound network trip (or the end of a late"
    " fault's hold), in nanoseconds since the Unix epoch on the exchange's clock; not when"
    " the exchange got round to handling it. Orders are matched in the order their requests"
    " are handled."
)


class AdminOrder(msgspec.Struct, kw_only=True):
    account: str
    user_def: str | None
    order_no: str | None
    status: OrderStatus
    received_ns: Annotated[int, msgspec.Meta(description=_RECEIVED_NS)]


class AdminOrders(msgspec.Struct, kw_only=True):
    orders: list[AdminOrder]


class AdminStats(msgspec.Struct, kw_only=True):
    requests: int
    rate_limited: int
    connections_refused: int
    requests_held: int
    """Order actions held by the late fault or stalled at this moment."""
    faults: dict[str, int]
