"""Taiwan market rules: tick ladders, daily limits, lots, the session timetable, and what
trades cost (fee, sell tax, average cost)."""

from tradeburst.rules._ledger import (
    DEFAULT_FEE_RATE,
    DEFAULT_SELL_TAX,
    NO_COSTS,
    Costs,
    Holding,
    to_decimal,
)
from tradeburst.rules._limits import DAILY_LIMIT_FRACTION, PriceBand, price_band
from tradeburst.rules._lots import BOARD_LOT_SHARES, MAX_ORDER_SHARES, quantity_problem
from tradeburst.rules._prices import PRICE_PATTERN, PriceError, parse_price
from tradeburst.rules._sessions import (
    CLOSE_AUCTION,
    CLOSING_CALL_START,
    OPEN,
    PRE_OPEN_START,
    Phase,
    order_type_problem,
    phase_at,
)
from tradeburst.rules._ticks import (
    ETF_TICKS,
    STOCK_TICKS,
    TickBand,
    TickLadder,
    exact_context,
    from_cents,
    to_cents,
)

__all__ = [
    "BOARD_LOT_SHARES",
    "CLOSE_AUCTION",
    "CLOSING_CALL_START",
    "DAILY_LIMIT_FRACTION",
    "DEFAULT_FEE_RATE",
    "DEFAULT_SELL_TAX",
    "ETF_TICKS",
    "MAX_ORDER_SHARES",
    "NO_COSTS",
    "OPEN",
    "PRE_OPEN_START",
    "PRICE_PATTERN",
    "STOCK_TICKS",
    "Costs",
    "Holding",
    "Phase",
    "PriceBand",
    "PriceError",
    "TickBand",
    "TickLadder",
    "exact_context",
    "from_cents",
    "order_type_problem",
    "parse_price",
    "phase_at",
    "price_band",
    "quantity_problem",
    "to_cents",
    "to_decimal",
]
