"""Integer cents as `Decimal` prices, each made once: the market names every trade's price
and the tape the best bid and ask each trade met, and through a day the same few prices
recur, so a lookup replaces a decimal multiplication and rounding per use. What is kept is
bounded (`MAX_KEPT` prices, dropped all at once when full), and a `Decimal` is immutable,
so one object can stand in every record that names the price."""

from __future__ import annotations

from decimal import Decimal

from tradeburst.rules import from_cents

__all__ = ["MAX_KEPT", "price_of_cents"]

MAX_KEPT = 65_536
"""Prices kept at most: every tick of every listed symbol's daily band, many times over."""

_kept: dict[int, Decimal] = {}


def price_of_cents(cents: int) -> Decimal:
    """`from_cents(cents)`, made once per price."""
    price = _kept.get(cents)
    if price is None:
        if len(_kept) >= MAX_KEPT:
            _kept.clear()
        price = _kept[cents] = from_cents(cents)
    return price
