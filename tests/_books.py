"""Helpers shared by the book and auction tests: a 2330-like book (reference 1000.00 TWD,
limits 900.00-1100.00, tick 5 TWD) and book orders. Prices are integer cents."""

from __future__ import annotations

import random

from tradeburst.exchange._book import Book, BookOrder
from tradeburst.model import Side, TimeInForce

BUY, SELL = Side.BUY, Side.SELL
ROD, IOC, FOK = TimeInForce.ROD, TimeInForce.IOC, TimeInForce.FOK
LOT = 1000
LIMIT_DOWN, REFERENCE, LIMIT_UP = 90_000, 100_000, 110_000


def new_book(seed: int = 0, reference_cents: int = REFERENCE) -> Book:
    return Book(
        "2330",
        reference_cents=reference_cents,
        limit_down_cents=LIMIT_DOWN,
        limit_up_cents=LIMIT_UP,
        rng=random.Random(seed),
    )


def order(
    order_id: int,
    side: Side,
    price_cents: int,
    shares: int,
    tif: TimeInForce = ROD,
    *,
    pre_open: bool = False,
) -> BookOrder:
    return BookOrder(
        order_id=order_id,
        side=side,
        price_cents=price_cents,
        remaining=shares,
        time_in_force=tif,
        entered_pre_open=pre_open,
    )
