"""Daily price limits: ±10 % of the reference price, rounded inward to valid ticks.

The limit-up is the largest valid tick at or below reference × 1.10, the limit-down the
smallest valid tick at or above reference × 0.90, each with the tick of the band the result
falls in (reference 40.60 gives 44.65 and 36.55). Where 10 % is less than one tick, the
limit is one tick away, and a price never goes below the smallest tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeburst.rules._ticks import TickLadder

__all__ = ["DAILY_LIMIT_FRACTION", "PriceBand", "price_band"]

DAILY_LIMIT_FRACTION = Decimal("0.10")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceBand:
    reference_twd: Decimal
    limit_down_twd: Decimal
    limit_up_twd: Decimal

    def __contains__(self, price: object) -> bool:
        return isinstance(price, Decimal) and self.limit_down_twd <= price <= self.limit_up_twd


def price_band(
    reference_twd: Decimal,
    ladder: TickLadder,
    fraction: Decimal = DAILY_LIMIT_FRACTION,
) -> PriceBand:
    if not ladder.is_on_tick(reference_twd):
        raise ValueError(f"reference price {reference_twd} is not on the {ladder.name} ladder")
    limit_up = ladder.round_down(reference_twd * (1 + fraction))
    limit_down = ladder.round_up(reference_twd * (1 - fraction))
    if limit_up <= reference_twd:
        limit_up = ladder.step_up(reference_twd)
    if limit_down >= reference_twd:
        smallest = ladder.bands[0].tick_twd
        limit_down = max(ladder.step_down(reference_twd), smallest)
    return PriceBand(
        reference_twd=reference_twd.quantize(_CENT),
        limit_down_twd=limit_down.quantize(_CENT),
        limit_up_twd=limit_up.quantize(_CENT),
    )
