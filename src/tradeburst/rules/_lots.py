"""Trading units: 1000-share board lots on the regular boards, 1–999 shares on odd-lot
boards, and at most 499 lots in one order (the Fubon SDK's local check)."""

from __future__ import annotations

from tradeburst.model import MarketType

__all__ = ["BOARD_LOT_SHARES", "MAX_ORDER_SHARES", "quantity_problem"]

BOARD_LOT_SHARES = 1000
MAX_ORDER_SHARES = 499 * BOARD_LOT_SHARES


def quantity_problem(quantity: int, market_type: MarketType) -> str | None:
    """Why `quantity` shares cannot be ordered on `market_type`, or None if they can."""
    if quantity < 1:
        return f"quantity {quantity} must be at least 1 share"
    if market_type.is_odd_lot:
        if quantity >= BOARD_LOT_SHARES:
            return f"quantity {quantity} is not an odd lot (1-999 shares on {market_type})"
        return None
    if quantity % BOARD_LOT_SHARES:
        return f"quantity {quantity} is not a whole number of {BOARD_LOT_SHARES}-share lots"
    if quantity > MAX_ORDER_SHARES:
        return f"quantity {quantity} is over the {MAX_ORDER_SHARES}-share maximum of one order"
    return None
