"""What trades cost and earn in Taiwan: the broker's fee, the securities transaction tax on
sells, and a position's average cost, from which each sale's realised profit follows.

The fee is `fee_rate` (0.1425 % by law's ceiling) times the broker's `fee_discount`, on
every fill's value; the tax is `sell_tax` (0.3 % for stocks) on every sell fill's value.
Both are rounded down to whole TWD per fill, as brokers print them; no minimum fee is
charged (a broker's 20 TWD floor applies per order, which fills alone cannot tell).

A position's cost is kept as an exact fraction, so a sale after buys at three prices
realises exactly what it earned; figures leave as `Decimal` rounded only when shown.
The average cost is the moving average: a buy adds its price, a sale takes shares out at
the average, and a sale past zero opens a short at its own price (and a buy past zero
covers it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

__all__ = ["DEFAULT_FEE_RATE", "DEFAULT_SELL_TAX", "NO_COSTS", "Costs", "Holding", "to_decimal"]

DEFAULT_FEE_RATE = Decimal("0.001425")
DEFAULT_SELL_TAX = Decimal("0.003")


@dataclass(frozen=True, slots=True, kw_only=True)
class Costs:
    fee_rate: Decimal = DEFAULT_FEE_RATE
    fee_discount: Decimal = Decimal(1)
    """The broker's discount as the share paid: 0.28 for a "2.8 折" discount."""
    sell_tax: Decimal = DEFAULT_SELL_TAX

    def __post_init__(self) -> None:
        for name in ("fee_rate", "fee_discount", "sell_tax"):
            value = getattr(self, name)
            if not value.is_finite() or not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")

    def fee_twd(self, value_twd: Decimal) -> Decimal:
        return (value_twd * self.fee_rate * self.fee_discount).to_integral_value(ROUND_FLOOR)

    def tax_twd(self, value_twd: Decimal) -> Decimal:
        return (value_twd * self.sell_tax).to_integral_value(ROUND_FLOOR)


NO_COSTS = Costs(fee_rate=Decimal(0), sell_tax=Decimal(0))


@dataclass(slots=True)
class Holding:
    """One symbol's position, built fill by fill."""

    shares: int = 0
    cost: Fraction = field(default_factory=Fraction)
    """What the shares held cost in all (for a short: what selling them brought)."""
    realized: Fraction = field(default_factory=Fraction)
    """Gross profit of the shares closed, before fees and tax."""
    fees_twd: Decimal = Decimal(0)
    taxes_twd: Decimal = Decimal(0)

    @property
    def average_cost(self) -> Fraction:
        return self.cost / abs(self.shares) if self.shares else Fraction(0)

    def trade(self, *, buy: bool, shares: int, price_twd: Decimal, costs: Costs) -> None:
        """One fill: `shares` bought (or sold) at `price_twd`."""
        if shares <= 0:
            raise ValueError(f"a fill is of a positive number of shares, not {shares}")
        value = price_twd * shares
        self.fees_twd += costs.fee_twd(value)
        if not buy:
            self.taxes_twd += costs.tax_twd(value)
        signed = shares if buy else -shares
        price = Fraction(price_twd)
        if self.shares and (self.shares > 0) != buy:  # this fill closes shares first
            closed = min(abs(self.shares), shares)
            average = self.average_cost
            # long: sold above the average earns; short: bought back below it earns
            self.realized += (price - average) * closed * (1 if self.shares > 0 else -1)
            self.cost -= average * closed
            self.shares += closed if self.shares < 0 else -closed
            signed += -closed if buy else closed
        if signed:
            self.cost += price * abs(signed)
            self.shares += signed

    def unrealized(self, mark_twd: Decimal) -> Fraction:
        """What the shares held would earn closed at `mark_twd`, before fees and tax."""
        if self.shares > 0:
            return Fraction(mark_twd) * self.shares - self.cost
        return self.cost - Fraction(mark_twd) * -self.shares


def to_decimal(value: Fraction, places: int = 2) -> Decimal:
    """A fraction as a Decimal rounded half-even to `places` decimal places."""
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum)
