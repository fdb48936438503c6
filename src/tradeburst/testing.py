"""Helpers for rehearsing with tradeburst, in your tests as in ours: `rehearsal_exchange`
starts the real rehearsal exchange in this process on 127.0.0.1, on a port of its own
choosing, so a test talks to a real HTTP and WebSocket server and mocks no network;
`ManualClock` is the exchange clock a test moves by hand instead of sleeping through real
seconds; `write_orders` writes an orders file for `fire` and `rush`. The one seam where
tradeburst's own tests use a stand-in is the Fubon SDK, which cannot be reached from a test:
`tests/_fubon_standin.py` imitates it in front of the rehearsal exchange, and stays with the
tests because it injects test-only faults.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tradeburst.exchange import Clock, Exchange, ExchangeConfig, ManualClock
from tradeburst.model import Order

__all__ = ["ManualClock", "rehearsal_exchange", "write_orders"]

_COLUMNS = (
    "symbol",
    "side",
    "quantity",
    "price",
    "price_type",
    "time_in_force",
    "market_type",
    "order_type",
    "tag",
)


def rehearsal_exchange(
    *, clock: Clock | None = None, broker_clock: Clock | None = None, **config: Any
) -> Exchange:
    """A rehearsal exchange configured by `ExchangeConfig` field names (on 127.0.0.1, port
    0, in memory unless told otherwise), not yet serving: `async with` starts it, sets
    `exchange.url`, and stops it at the end. `clock` and `broker_clock` are as `Exchange`
    takes them: a `clock` given alone (a `ManualClock`, say) also times the rate windows."""
    return Exchange(ExchangeConfig(**config), clock=clock, broker_clock=broker_clock)


def write_orders(path: Path, orders: Iterable[Order], *, tags: Sequence[str] = ()) -> Path:
    """`orders` as a CSV orders file at `path`, one row each in the columns `fire` reads;
    row i is tagged `tags[i]`, or `t<i>` past the end of `tags`, so that equal orders stay
    distinct rows. Each order's `user_def` is left out: the engine assigns its own."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(_COLUMNS)
        for i, order in enumerate(orders):
            price = "" if order.price_twd is None else str(order.price_twd)
            tag = tags[i] if i < len(tags) else f"t{i}"
            writer.writerow(
                (
                    order.symbol,
                    order.side.value,
                    order.quantity,
                    price,
                    order.price_type.value,
                    order.time_in_force.value,
                    order.market_type.value,
                    order.order_type.value,
                    tag,
                )
            )
    return path
