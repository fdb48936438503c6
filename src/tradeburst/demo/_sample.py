"""A sample opening batch: limit orders across the listed symbols, on the tick ladder and
inside the limits, a few ticks either side of the reference so that part of the batch
crosses and trades at the open; deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tradeburst.brokers import Instrument
from tradeburst.rules import BOARD_LOT_SHARES

__all__ = ["sample_orders", "write_orders_csv"]


def sample_orders(
    instruments: Sequence[Instrument], count: int, seed: int = 7
) -> list[dict[str, Any]]:
    """`count` order bodies for the exchange API, each with a unique `user_def`."""
    rng = random.Random(seed)
    orders = []
    for index in range(count):
        symbol = rng.choice(instruments)
        ladder = symbol.ladder
        price = symbol.reference_twd
        side = rng.choice(("Buy", "Sell"))
        # From three ticks passive to two ticks aggressive: some of the batch crosses, so
        # the opening auction has real volume to match.
        aggressive = rng.randint(-3, 2) * (1 if side == "Buy" else -1)
        for _ in range(abs(aggressive)):
            price = ladder.step_up(price) if aggressive > 0 else ladder.step_down(price)
        orders.append(
            {
                "symbol": symbol.symbol,
                "buy_sell": side,
                "quantity": rng.randint(1, 5) * BOARD_LOT_SHARES,
                "price": str(price),
                "price_type": "Limit",
                "time_in_force": "ROD",
                "user_def": f"DEMO{index:05d}",
            }
        )
    return orders


def write_orders_csv(orders: list[dict[str, Any]], path: Path) -> Path:
    """`orders` (as `sample_orders` gives them) as an orders file for `fire`, each row tagged
    with its `user_def` so that equal rows are distinct orders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["symbol,side,quantity,price,price_type,time_in_force,tag"]
    lines += [
        f"{o['symbol']},{o['buy_sell']},{o['quantity']},{o['price']},{o['price_type']},"
        f"{o['time_in_force']},{o['user_def']}"
        for o in orders
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
