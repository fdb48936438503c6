"""Tick ladders: which prices are valid, by price band (TWSE Operating Rules Art. 62).

A ladder is data, not code, because the 5-TWD tick above 1000 is under review (January
2026): build another `TickLadder` from bands and pass it where a ladder is taken.
Prices are `Decimal`; every tick on both shipped ladders is a whole number of
hundredths, so the exchange may also work in integer hundredths (`to_cents`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal, getcontext, localcontext

__all__ = [
    "ETF_TICKS",
    "STOCK_TICKS",
    "TickBand",
    "TickLadder",
    "exact_context",
    "from_cents",
    "to_cents",
    "whole_cents",
]

_CENT = Decimal("0.01")


def to_cents(price: Decimal) -> int:
    """Price in integer hundredths of a TWD; raises if it has finer precision."""
    fast = whole_cents(price)
    if fast is not None:
        return fast
    with localcontext(exact_context(price, _CENT)):
        cents = price * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"price {price} is finer than 0.01 TWD")
    return int(cents)


def whole_cents(price: Decimal) -> int | None:
    """`price` in integer hundredths when it is a whole number of cents below 10^16 TWD,
    else None. The exchange checks every order's price with this, so the common case stays
    in integers: no decimal context is built, and the comparison back is exact whatever
    the scaling rounded."""
    if not price.is_finite() or price.adjusted() > 15:
        return None
    cents = int(price.scaleb(2))
    return cents if Decimal(cents).scaleb(-2) == price else None


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) * _CENT).quantize(_CENT)


@dataclass(frozen=True, slots=True, kw_only=True)
class TickBand:
    """Prices at or above `lower_twd` (up to the next band) move in steps of `tick_twd`."""

    lower_twd: Decimal
    tick_twd: Decimal


class TickLadder:
    """An ordered set of bands; the first band must start at zero."""

    def __init__(self, name: str, bands: Sequence[TickBand]) -> None:
        if not bands or bands[0].lower_twd != 0:
            raise ValueError("a tick ladder needs a first band starting at 0")
        lowers = [band.lower_twd for band in bands]
        if lowers != sorted(set(lowers)):
            raise ValueError("tick bands must be in increasing order of their lower bound")
        if any(band.tick_twd <= 0 for band in bands):
            raise ValueError("every tick must be positive")
        self.name = name
        self.bands = tuple(bands)
        self._lowers = lowers
        # The same ladder in integer hundredths, when every bound and tick is whole cents
        # (both shipped ladders): the exchange's tick check then needs no decimal context.
        lower_cents = [cents for lower in lowers if (cents := whole_cents(lower)) is not None]
        tick_cents = [cents for b in bands if (cents := whole_cents(b.tick_twd)) is not None]
        exact = len(lower_cents) == len(tick_cents) == len(bands)
        self._lower_cents = lower_cents if exact else None
        self._tick_cents = tick_cents if exact else None

    def __repr__(self) -> str:
        return f"TickLadder({self.name!r})"

    def with_tick(self, lower_twd: Decimal, tick_twd: Decimal) -> TickLadder:
        """This ladder with the band starting at `lower_twd` stepping by `tick_twd`."""
        if lower_twd not in self._lowers:
            raise ValueError(f"the {self.name} ladder has no band starting at {lower_twd}")
        bands = [
            TickBand(
                lower_twd=b.lower_twd, tick_twd=tick_twd if b.lower_twd == lower_twd else b.tick_twd
            )
            for b in self.bands
        ]
        return TickLadder(self.name, bands)

    def tick_for(self, price: Decimal) -> Decimal:
        """The tick of the band `price` falls in."""
        return self.bands[bisect_right(self._lowers, price) - 1].tick_twd

    def is_on_tick(self, price: Decimal) -> bool:
        if price <= 0:
            return False
        cents = whole_cents(price)
        if cents is not None and self._lower_cents is not None and self._tick_cents is not None:
            return cents % self._tick_cents[bisect_right(self._lower_cents, cents) - 1] == 0
        tick = self.tick_for(price)
        with localcontext(exact_context(price, tick)):
            return price % tick == 0

    def round_down(self, price: Decimal) -> Decimal:
        """The largest valid price at or below `price`."""
        tick = self.tick_for(price)
        with localcontext(exact_context(price, tick)):
            return (price / tick).to_integral_value(ROUND_FLOOR) * tick

    def round_up(self, price: Decimal) -> Decimal:
        """The smallest valid price at or above `price`."""
        tick = self.tick_for(price)
        with localcontext(exact_context(price, tick)):
            candidate = (price / tick).to_integral_value(ROUND_CEILING) * tick
        if not self.is_on_tick(candidate):
            # Rounding up crossed into a band with a coarser tick: its lower bound is the
            # first valid price there.
            candidate = self.round_up(self._lowers[bisect_right(self._lowers, candidate) - 1])
        return candidate

    def step_up(self, price: Decimal) -> Decimal:
        """The next valid price strictly above the valid `price`."""
        return self.round_up(price + self.tick_for(price))

    def step_down(self, price: Decimal) -> Decimal:
        """The next valid price strictly below the valid `price`."""
        below = price - self.tick_for(price - _CENT)
        return self.round_down(below)


def exact_context(value: Decimal, step: Decimal) -> Context:
    """A context with room for every digit of `value / step` and back (`value` written out
    in full, exponent included): under the default 28 digits a price typed with more would
    be rounded, and `%` would raise."""
    digits = _written_digits(value) + _written_digits(step) + 2
    return getcontext().copy() if digits <= getcontext().prec else Context(prec=digits)


def _written_digits(value: Decimal) -> int:
    """Digits of `value` written without an exponent: 1E+40 has 41, 0.05 has 3."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):  # NaN or infinity: no digits to hold
        return 0
    return len(digits) + abs(exponent)


def _ladder(name: str, *bands: tuple[str, str]) -> TickLadder:
    return TickLadder(
        name, [TickBand(lower_twd=Decimal(lower), tick_twd=Decimal(tick)) for lower, tick in bands]
    )


STOCK_TICKS = _ladder(
    "stock",
    ("0", "0.01"),
    ("10", "0.05"),
    ("50", "0.1"),
    ("100", "0.5"),
    ("500", "1"),
    ("1000", "5"),
)
"""Common shares, TDRs and the like (Art. 62)."""

ETF_TICKS = _ladder("etf", ("0", "0.01"), ("50", "0.05"))
"""ETFs, ETNs and REIT beneficial certificates."""
