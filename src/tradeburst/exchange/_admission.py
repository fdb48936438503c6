"""What the exchange refuses at the door: an order for an unlisted symbol or an untraded
board, a quantity that is not whole lots, an order type the session does not take, a price
off the tick ladder or outside the day's limits. Each check answers a reason a user can
act on, or the order's price in integer cents. `EntryCheck` asks the same of the market's
symbols and keeps each limit price it found valid, per symbol: a burst's orders name a few
prices, and each is then one lookup, not decimal band, tick and cents checks again."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from tradeburst.exchange._symbols import Symbol
from tradeburst.model import MarketType, Order, PriceType, Side, TimeInForce
from tradeburst.rules import Phase, order_type_problem, quantity_problem, to_cents

__all__ = ["EntryCheck", "entry_problem", "price_problem"]


class EntryCheck:
    """`entry_problem` over a fixed set of symbols, remembering what it found valid: each
    symbol's limit prices and the whole-lot quantities. What it keeps is bounded by the
    symbols' daily bands (only prices on the ladder inside the band, at most about a
    thousand a symbol) and by the largest order (499 quantities)."""

    def __init__(self, symbols: Mapping[str, Symbol]) -> None:
        self._symbols = symbols
        self._valid_cents: dict[str, dict[Decimal, int]] = {code: {} for code in symbols}
        self._valid_lots: set[int] = set()
        """Quantities found valid on the regular board."""

    def problem(self, order: Order, phase: Phase) -> tuple[str | None, int]:
        """`entry_problem` of `order` for its symbol, if listed."""
        valid = self._valid_cents.get(order.symbol)
        price = order.price_twd  # a limit order's is finite (an `Order` checks): hashable
        if valid is None or price is None or order.price_type is not _LIMIT:
            return entry_problem(self._symbols.get(order.symbol), order, phase)
        cents = valid.get(price)
        if cents is None:
            problem, cents = entry_problem(self._symbols[order.symbol], order, phase)
            if problem is None:
                valid[price] = cents
                self._valid_lots.add(order.quantity)
            return problem, cents
        # The checks of `entry_problem` before the price, in its order.
        if order.market_type is not _COMMON:
            return _market_type_problem(order.market_type), 0
        if order.quantity not in self._valid_lots:
            problem = quantity_problem(order.quantity, _COMMON)
            if problem is not None:
                return problem, 0
            self._valid_lots.add(order.quantity)
        problem = _LIMIT_ORDER_PROBLEMS[phase, order.time_in_force]
        return (problem, 0) if problem is not None else (None, cents)


_LIMIT = PriceType.LIMIT
_COMMON = MarketType.COMMON
"""Module constants: on Python 3.11 an enum member read goes through the metaclass's
attribute hook, several times the cost of a global, and every order reads these."""

_LIMIT_ORDER_PROBLEMS = {
    (phase, tif): order_type_problem(phase, _LIMIT, tif) for phase in Phase for tif in TimeInForce
}
"""`order_type_problem` of a limit order, for each phase and time in force, made once."""


def _market_type_problem(market_type: MarketType) -> str:
    return f"market type {market_type} is not traded here; use Common"


def entry_problem(symbol: Symbol | None, order: Order, phase: Phase) -> tuple[str | None, int]:
    """Why the exchange rejects `order` now, and otherwise its price in cents (a market
    order takes the limit price of its side)."""
    if symbol is None:
        return f"symbol {order.symbol} is not listed on this exchange", 0
    if order.market_type is not MarketType.COMMON:
        return _market_type_problem(order.market_type), 0
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
