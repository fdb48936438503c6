"""A sample opening batch: limit orders across the listed symbols, on the tick ladder and
inside the limits, near the reference so that some trade at the open; deterministic for a
seed."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from tradeburst.rules import BOARD_LOT_SHARES, ETF_TICKS, STOCK_TICKS

__all__ = ["sample_orders"]


def sample_orders(symbols: list[dict[str, Any]], count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` order bodies for the exchange API, each with a unique `user_def`."""
    rng = random.Random(seed)
    orders = []
    for index in range(count):
        symbol = rng.choice(symbols)
        ladder = ETF_TICKS if symbol["kind"] == "etf" else STOCK_TICKS
        price = Decimal(symbol["reference_price"])
        side = rng.choice(("Buy", "Sell"))
        for _ in range(rng.randint(0, 3)):
            price = ladder.step_down(price) if side == "Buy" else ladder.step_up(price)
        orders.append(
            {
                "symbol": symbol["symbol"],
                "buy_sell": side,
                "quantity": rng.randint(1, 5) * BOARD_LOT_SHARES,
                "price": str(price),
                "price_type": "Limit",
                "time_in_force": "ROD",
                "user_def": f"DEMO{index:05d}",
            }
        )
    return orders
