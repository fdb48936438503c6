"""Checking the orders of a file against today's market and the run's risk limits, before
anything is sent: the symbol is listed; a limit price is on the tick ladder, inside the
daily band and within the price collar; the quantity is in units the board takes; each
order and the whole run stay inside the risk limits. Every problem is reported, each with
its line, and a broken limit is named by the command-line flag that sets it, so the user
knows what to change. Orders without a price of their own are valued at the price they
will trade at, a Market order at its worst, the limit-up.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from decimal import ROUND_UP, Decimal
from typing import NamedTuple

from tradeburst.brokers import Instrument
from tradeburst.engine._orders_file import InputProblem, OrderRow
from tradeburst.engine._risk import RiskLimits
from tradeburst.model import Order, PriceType
from tradeburst.rules import TickLadder, exact_context, quantity_problem

__all__ = ["check_orders", "priced_at"]

_CENT = Decimal("0.01")


def check_orders(
    rows: Sequence[OrderRow],
    instruments: Mapping[str, Instrument],
    limits: RiskLimits,
    path: str,
) -> list[InputProblem]:
    """Every problem of `rows` (read from `path`), sorted by line, run-wide ones first."""
    problems = []
    if len(rows) > limits.max_orders:
        reason = f"{len(rows)} orders or more, over max_orders {limits.max_orders}"
        problems.append(InputProblem(path, None, reason))
    run_qty = 0
    run_notional_twd = Decimal(0)
    for row in rows:
        order = row.order
        instrument = instruments.get(order.symbol)
        reasons = _order_problems(order, instrument, limits)
        problems.extend(InputProblem(path, row.line, reason) for reason in reasons)
        run_qty += order.quantity
        if instrument is not None:
            run_notional_twd += priced_at(order, instrument).price_twd * order.quantity
    if limits.max_run_qty is not None and run_qty > limits.max_run_qty:
        reason = f"{run_qty} shares in the run, over max_run_qty {limits.max_run_qty}"
        problems.append(InputProblem(path, None, reason))
    cap = limits.max_run_notional_twd
    if cap is not None and run_notional_twd > cap:
        market = any(row.order.price_type is PriceType.MARKET for row in rows)
        basis = " (Market orders at their limit-up)" if market else ""
        reason = f"{run_notional_twd:,.2f} TWD in the run{basis}, over max_run_notional_twd {cap}"
        problems.append(InputProblem(path, None, reason))
    return sorted(problems, key=lambda problem: (problem.line is not None, problem.line or 0))


def _order_problems(order: Order, instrument: Instrument | None, limits: RiskLimits) -> list[str]:
    reasons = []
    if instrument is None:
        reasons.append(f"symbol {order.symbol} is not listed")
    elif order.price_twd is not None:
        reasons.extend(_price_problems(order.price_twd, instrument, limits))
    problem = quantity_problem(order.quantity, order.market_type)
    if problem is not None:
        reasons.append(problem)
    if limits.max_qty is not None and order.quantity > limits.max_qty:
        reasons.append(f"quantity {order.quantity} is over max_qty {limits.max_qty}")
    cap = limits.max_notional_twd
    if cap is not None and instrument is not None:
        priced = priced_at(order, instrument)
        notional = priced.price_twd * order.quantity
        if notional > cap:
            reason = f"notional {notional:,.2f} TWD{priced.basis} is over max_notional_twd {cap}"
            reasons.append(reason)
    return reasons


class _Priced(NamedTuple):
    price_twd: Decimal
    basis: str
    """How the price was chosen, as a parenthesis to add to a message; "" for its own."""


def priced_at(order: Order, instrument: Instrument) -> _Priced:
    """The price the order trades at, at worst."""
    if order.price_twd is not None:
        return _Priced(order.price_twd, "")
    if order.price_type is PriceType.LIMIT_DOWN:
        down = instrument.limit_down_twd
        return _Priced(down, f" (at the limit-down {down})")
    if order.price_type is PriceType.REFERENCE:
        reference = instrument.reference_twd
        return _Priced(reference, f" (at the reference {reference})")
    up = instrument.limit_up_twd
    if order.price_type is PriceType.LIMIT_UP:
        return _Priced(up, f" (at the limit-up {up})")
    return _Priced(up, f" (at the limit-up {up}, the worst case of a Market order)")


def _price_problems(price: Decimal, instrument: Instrument, limits: RiskLimits) -> list[str]:
    reasons = []
    ladder = instrument.ladder
    if not ladder.is_on_tick(price):
        reasons.append(f"price {price} is not on the tick ladder ({_off_tick(ladder, price)})")
    reference = instrument.reference_twd
    collar = limits.price_collar_pct
    if price > instrument.limit_up_twd:
        reasons.append(f"price {price} is above the limit-up {instrument.limit_up_twd}")
    elif price < instrument.limit_down_twd:
        reasons.append(f"price {price} is below the limit-down {instrument.limit_down_twd}")
    elif collar is not None and reference > 0:
        # Rounded up, so a price just over the collar never shows as exactly on it.
        off_pct = (abs(price - reference) / reference * 100).quantize(_CENT, ROUND_UP)
        if off_pct > collar:
            reasons.append(
                f"price {price} is {off_pct}% from the reference {reference}, "
                f"over price_collar_pct {collar}"
            )
    return reasons


def _off_tick(ladder: TickLadder, price: Decimal) -> str:
    """The tick of the band `price` falls in, the band, and the valid prices either side."""
    lowers = [band.lower_twd for band in ladder.bands]
    index = bisect_right(lowers, price) - 1
    tick = _cents(ladder.bands[index].tick_twd)
    if index + 1 == len(lowers):
        band = f"{tick} from {_plain(lowers[index])} up"
    elif index == 0:
        band = f"{tick} below {_plain(lowers[1])}"
    else:
        band = f"{tick} from {_plain(lowers[index])} to {_plain(lowers[index + 1])}"
    nearest = [_cents(p) for p in (ladder.round_down(price), ladder.round_up(price)) if p > 0]
    return f"{band}; nearest {' or '.join(nearest)}"


def _cents(value: Decimal) -> str:
    # Room for every digit: a price typed longer than the default 28 is still shown whole.
    return str(value.quantize(_CENT, context=exact_context(value, _CENT)))


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"
