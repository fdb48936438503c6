"""`GET /v1/positions`: what an account of the rehearsal exchange holds, one entry per
symbol, with the average price paid and the symbol's last trade price. Fubon reports the
same from its accounting calls (`inventories`, `unrealized_gains_and_loses`)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = ["PositionData"]


class PositionData(msgspec.Struct, kw_only=True):
    stock_no: str
    shares: int
    """Negative for a short."""
    average_cost: Decimal
    """Average price per share held, fees left out (for a short: the average sale price)."""
    last_price: Decimal | None = None
    """The symbol's last trade today; None before its first."""
