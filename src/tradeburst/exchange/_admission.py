"""What the exchange refuses at the door: an order for an unlisted symbol or an untraded
board, a quantity that is not whole lots, an order type the session does not take, a price
off the tick ladder or outside the day's limits. Each check answers a reason a user can
act on, or the order's price in integer cents."""

from __future__ import annotations

from decimal import Decimal

from tradeburst.exchange._symbols import Symbol
from tradeburst.model import MarketType, Order, PriceType, Side
from tradeburst.rules import Phase, order_type_problem, quantity_problem, to_cents

__all__ = ["entry_problem", "price_problem"]


def entry_problem(symbol: Symbol | None, order: Order, phase: Phase) -> tuple[str | None, int]:
    """Why the exchange rejects `order` now, and otherwise its price in cents (a market
    order takes the limit price of its side)."""
    if symbol is None:
        return f"symbol {order.symbol} is not listed on this exchange", 0
    if order.market_type is not MarketType.COMMON:
        return f"market type {order.market_type} is not traded here; use Common", 0
    problem = quantity_problem(order.quantity, order.market_type)
    if problem is None:
        problem = order_type_problem(phase, order.price_type, order.time_in_force)
    if problem is not None:
        return problem, 0
    if order.price_type is PriceType.MARKET:
        band = symbol.band
        limit = band.limit_up_twd if order.side is Side.BUY else band.limit_down_twd
        return None, to_cents(limit)
    return price_problem(symbol, order.price_type, order.price_twd)


def price_problem(
    symbol: Symbol, price_type: PriceType, price: Decimal | None
) -> tuple[str | None, int]:
    """Why `price` (or the price type's price) is not valid for `symbol` today."""
    band = symbol.band
    if price_type is PriceType.LIMIT_UP:
        return None, to_cents(band.limit_up_twd)
    if price_type is PriceType.LIMIT_DOWN:
        return None, to_cents(band.limit_down_twd)
    if price_type is PriceType.REFERENCE:
        return None, to_cents(band.reference_twd)
    if price is None:
        return "a Limit order needs a price", 0
    if not price.is_finite():
        return f"price {price} is not a number", 0
    # The band check comes first: it bounds the price, so the tick check stays cheap.
    if price not in band:
        return (
            f"price {price} is outside today's limits "
            f"{band.limit_down_twd}-{band.limit_up_twd} of {symbol.code}",
            0,
        )
    if not symbol.ladder.is_on_tick(price):
        tick = symbol.ladder.tick_for(price)
        return f"price {price} is not on the tick ladder (ticks of {tick} at this price)", 0
    return None, to_cents(price)
