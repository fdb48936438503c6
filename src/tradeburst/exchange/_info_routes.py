"""The API's routes that change nothing: the market's information (the OpenAPI
description, the exchange's time, the account's limits, the symbols, a quote), the
account's queries (its orders and fills, each counted against its query limit), and the
admin's view (every client order, the gateway's counts)."""

from __future__ import annotations

from aiohttp import web

from tradeburst.exchange._accounts import HOUSE
from tradeburst.exchange._api import error_response, json_response
from tradeburst.exchange._gateway import account_of, received_ns_of
from tradeburst.exchange._profiles import LimitClass
from tradeburst.exchange._request_steps import RequestSteps
from tradeburst.model import OrderStatus
from tradeburst.rules import from_cents
from tradeburst.wire import (
    MAX_BATCH_ORDERS,
    AdminOrder,
    AdminOrders,
    AdminStats,
    Envelope,
    LimitsAnswer,
    LimitWindow,
    Quote,
    SymbolInfo,
    TimeAnswer,
)

__all__ = ["InfoRoutes"]


class InfoRoutes(RequestSteps):
    async def openapi(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._openapi())

    async def time(self, request: web.Request) -> web.StreamResponse:
        # Its own arrival stamp, taken where an order's is: a client that sets its clock
        # offset and shortest trip from these reads finds the order stamps consistent.
        return json_response(TimeAnswer(exchange_time_ns=received_ns_of(request)))

    async def limits(self, request: web.Request) -> web.StreamResponse:
        profile = self.profile
        data = LimitsAnswer(
            account=account_of(request).account,
            profile=profile.name,
            limits={
                cls.value: LimitWindow(requests=window.requests, window_s=window.seconds)
                for cls, window in profile.limits.items()
            },
            connections=profile.connections,
            batch_counts_orders=profile.batch_counts_orders,
            max_batch_orders=MAX_BATCH_ORDERS,
            suspension_s=profile.suspension_s,
            always_open=self.market.schedule.always_open,
            counted_resolution_ns=None if self._counted is None else self._counted.resolution_ns,
        )
        return json_response(Envelope(is_success=True, data=data))

    async def symbols(self, request: web.Request) -> web.StreamResponse:
        data = [
            SymbolInfo(
                symbol=s.code,
                name=s.name,
                kind=s.kind,
                reference_price=s.band.reference_twd,
                limitup_price=s.band.limit_up_twd,
                limitdown_price=s.band.limit_down_twd,
                tick_bands=[(band.lower_twd, band.tick_twd) for band in s.ladder.bands],
            )
            for s in self.market.symbols.values()
        ]
        return json_response(Envelope(is_success=True, data=data))

    async def quote(self, request: web.Request) -> web.StreamResponse:
        code = request.match_info["symbol"]
        symbol = self.market.symbols.get(code)
        if symbol is None:
            return error_response(404, f"symbol {code} is not listed on this exchange")
        self.market.sync()
        last = self.market.books[code].last_price_cents
        book = self.book_snapshot(code)
        data = Quote(
            symbol=code,
            bids=book.bids,
            asks=book.asks,
            time=book.time,
            phase=self.market.phase(),
            reference_price=symbol.band.reference_twd,
            limitup_price=symbol.band.limit_up_twd,
            limitdown_price=symbol.band.limit_down_twd,
            last_price=from_cents(last) if last is not None else None,
            total_volume=self.market.volume(code),
        )
        return json_response(Envelope(is_success=True, data=data))

    async def orders(self, request: web.Request) -> web.StreamResponse:
        account = account_of(request)
        self._gate(account, LimitClass.QUERY, request=request)
        self.market.sync()
        user_def = request.query.get("user_def")
        return json_response(
            Envelope(is_success=True, data=self.market.orders_of(account, user_def))
        )

    async def fills(self, request: web.Request) -> web.StreamResponse:
        account = account_of(request)
        self._gate(account, LimitClass.QUERY, request=request)
        return json_response(Envelope(is_success=True, data=self.market.fills_of(account)))

    async def admin_orders(self, request: web.Request) -> web.StreamResponse:
        orders = [
            AdminOrder(
                account=r.account,
                user_def=r.user_def,
                order_no=r.order_no,
                status=r.status,
                received_ns=r.received_ns,
            )
            for r in self.market.all_orders()
            if r.account != HOUSE.account and r.status is not OrderStatus.FAILED
        ]
        return json_response(AdminOrders(orders=orders))

    async def admin_stats(self, request: web.Request) -> web.StreamResponse:
        stats = self.gateway.stats
        return json_response(
            AdminStats(
                requests=stats.requests,
                rate_limited=stats.rate_limited,
                connections_refused=stats.connection_refused,
                requests_held=self.holds.held,
                faults={fault.value: count for fault, count in self.faults.counts.items()},
            )
        )
