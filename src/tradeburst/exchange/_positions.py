"""`GET /v1/positions`: an account's holdings, worked out from its fills of the day. The
rehearsal exchange opens every account flat, so today's fills are the whole story: shares
bought less shares sold, at their moving average cost (`tradeburst.rules.Holding`), with
each symbol's last trade price to value them. A query: it counts against the account's
query limit like `GET /v1/orders`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from tradeburst.exchange._api import json_response
from tradeburst.exchange._gateway import account_of
from tradeburst.exchange._profiles import LimitClass
from tradeburst.model import Side
from tradeburst.rules import NO_COSTS, Holding, from_cents, to_decimal
from tradeburst.wire import Envelope, FilledData, PositionData

if TYPE_CHECKING:
    from tradeburst.exchange._app import ExchangeApp

__all__ = ["POSITIONS_PATH", "add_positions_route", "positions_of"]

POSITIONS_PATH = "/v1/positions"
COST_PLACES = 4
"""The average cost is rounded to 0.0001 TWD on the wire, as Fubon prints its cost price."""


def positions_of(fills: list[FilledData]) -> dict[str, Holding]:
    """Each symbol's holding after `fills`, in the order they happened."""
    holdings: dict[str, Holding] = {}
    for fill in sorted(fills, key=lambda f: (f.filled_ns, f.filled_no)):
        holding = holdings.setdefault(fill.stock_no, Holding())
        holding.trade(buy=fill.buy_sell is Side.BUY, shares=fill.filled_qty,
                      price_twd=fill.filled_price, costs=NO_COSTS)  # fmt: skip
    return holdings


def add_positions_route(exchange: ExchangeApp, app: web.Application) -> None:
    async def positions(request: web.Request) -> web.StreamResponse:
        account = account_of(request)
        exchange._gate(account, LimitClass.QUERY, request=request)
        exchange.market.sync()
        data = []
        for symbol, holding in positions_of(exchange.market.fills_of(account)).items():
            if not holding.shares:
                continue
            last = exchange.market.books[symbol].last_price_cents
            data.append(
                PositionData(
                    stock_no=symbol,
                    shares=holding.shares,
                    average_cost=to_decimal(holding.average_cost, COST_PLACES),
                    last_price=from_cents(last) if last is not None else None,
                )
            )
        return json_response(Envelope(is_success=True, data=data))

    app.router.add_get(POSITIONS_PATH, positions)
