"""Risk limits of one run: how many orders, how many shares and how much money a run and
each of its orders may carry, and how far a limit price may stray from the reference. The
defaults refuse only the absurd (over 10,000 orders, a price outside the daily band); every
tighter limit is the user's choice, given on the command line. `check_orders` in
`_validation` applies them; this module only holds them and refuses impossible values.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["DEFAULT_MAX_ORDERS", "DEFAULT_PRICE_COLLAR_PCT", "RiskLimits"]

DEFAULT_MAX_ORDERS = 10_000
DEFAULT_PRICE_COLLAR_PCT = Decimal("10")
"""The daily limit band anyway; a tighter collar is the user's choice."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskLimits:
    """Limits on one run; `None` switches a limit off (the rules' 499-lot cap always applies)."""

    max_orders: int = DEFAULT_MAX_ORDERS
    """Orders in the run."""
    max_qty: int | None = None
    """Shares in one order."""
    max_notional_twd: Decimal | None = None
    """Price × shares of one order."""
    max_run_qty: int | None = None
    """Shares in the whole run."""
    max_run_notional_twd: Decimal | None = None
    """Price × shares summed over the run."""
    price_collar_pct: Decimal | None = DEFAULT_PRICE_COLLAR_PCT
    """|price - reference| / reference × 100 must be at most this."""

    def __post_init__(self) -> None:
        _positive_int("max_orders", self.max_orders)
        _positive_int("max_qty", self.max_qty)
        _positive_int("max_run_qty", self.max_run_qty)
        _positive_decimal("max_notional_twd", self.max_notional_twd)
        _positive_decimal("max_run_notional_twd", self.max_run_notional_twd)
        _positive_decimal("price_collar_pct", self.price_collar_pct)


def _positive_int(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive whole number (got {value!r})")


def _positive_decimal(name: str, value: Decimal | None) -> None:
    if value is None:
        return
    # A float here would let binary rounding into money sums, so only Decimal is taken.
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValueError(f"{name} must be a positive finite Decimal (got {value!r})")
