"""The stock queries: `get_order_results` (today's orders, `function_type` None),
`get_order_results_detail` (the same with `details`), `filled_history` (today's fills,
without `seq_no` and `user_def`, which only callbacks carry), `query_symbol_quote` and
`query_symbol_snapshot` (the order system's reference price and limits). Each counts
against the account's query limit where the exchange counts it, and a refusal comes back
as `is_success=False` with the exchange's (Fubon's) text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from tradeburst.clock import exchange_datetime
from tradeburst.sim.fubon import constant
from tradeburst.sim.fubon._convert import fill_object, order_object
from tradeburst.sim.fubon._objects import SymbolQuote, result
from tradeburst.sim.fubon._session import Session
from tradeburst.sim.fubon._transport import CallFailed
from tradeburst.wire import FilledData, OrderResult, Quote, SymbolInfo

__all__ = ["StockQueries"]

MAX_DAYS = 30
RANGE_TOO_LONG = "Maximum query period is 30 days. Please adjust the parameters."
UNSUPPORTED_MARKET_TYPE = "不支援此 MarketType"
_QUOTED_MARKET_TYPES = ("Common", "IntradayOdd", "Fixing")
_KINDS = {"Stock": "stock", "EtfAndEtn": "etf"}


class StockQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _data(self, path: str) -> Any:
        answer = self._session.request("GET", path)
        if not answer.get("is_success"):
            raise CallFailed(str(answer.get("message")))
        return answer["data"]

    def get_order_results(self, account: Any) -> Any:
        try:
            records = msgspec.convert(self._data("/v1/orders"), list[OrderResult])
        except CallFailed as exc:
            return result(False, str(exc))
        return result(True, None, [order_object(r, function_type=None) for r in records])

    def get_order_results_detail(self, account: Any) -> Any:
        answer = self.get_order_results(account)
        if answer.is_success:
            history = self._session.history
            for order in answer.data:
                object.__setattr__(order, "details", history.of(order.seq_no))
        return answer

    def filled_history(
        self, account: Any, start_date: str | None = None, end_date: str | None = None
    ) -> Any:
        if start_date is not None and end_date is not None:
            try:
                days = (_day(end_date) - _day(start_date)).days
            except ValueError:
                return result(False, f"date must be YYYYMMDD: {start_date}, {end_date}")
            if days > MAX_DAYS:
                return result(False, RANGE_TOO_LONG)
        try:
            fills = msgspec.convert(self._data("/v1/fills"), list[FilledData])
        except CallFailed as exc:
            return result(False, str(exc))
        return result(True, None, [fill_object(f, callback=False) for f in fills])

    def query_symbol_quote(self, account: Any, symbol: str, market_type: Any = None) -> Any:
        kind = constant.member_name(market_type, constant.MarketType) if market_type else "Common"
        if kind not in _QUOTED_MARKET_TYPES:
            return result(False, UNSUPPORTED_MARKET_TYPE)
        try:
            quote = msgspec.convert(self._data(f"/v1/quotes/{symbol}"), Quote)
        except CallFailed as exc:
            return result(False, str(exc))
        bid = quote.bids[0] if quote.bids else None
        ask = quote.asks[0] if quote.asks else None
        return result(
            True,
            None,
            SymbolQuote(
                market="TAIEX",
                symbol=quote.symbol,
                is_tib_or_psb=False,
                market_type=getattr(constant.MarketType, kind),
                status=0,
                reference_price=float(quote.reference_price),
                unit=1 if kind == "IntradayOdd" else 1000,
                update_time=_time_text(quote.time),
                limitup_price=float(quote.limitup_price),
                limitdown_price=float(quote.limitdown_price),
                last_price=None if quote.last_price is None else float(quote.last_price),
                total_volume=quote.total_volume,
                bid_price=None if bid is None else float(bid.price),
                bid_volume=None if bid is None else bid.size,
                ask_price=None if ask is None else float(ask.price),
                ask_volume=None if ask is None else ask.size,
            ),
        )

    def query_symbol_snapshot(
        self, account: Any, market_type: Any = None, stock_types: Any = None
    ) -> Any:
        kind = constant.member_name(market_type, constant.MarketType) if market_type else "Common"
        if kind not in _QUOTED_MARKET_TYPES:
            return result(False, UNSUPPORTED_MARKET_TYPE)
        wanted = [
            constant.member_name(t, constant.StockType)
            for t in stock_types or [constant.StockType.Stock]
        ]
        kinds = {_KINDS[name] for name in wanted if name in _KINDS}
        try:
            symbols = msgspec.convert(self._data("/v1/symbols"), list[SymbolInfo])
        except CallFailed as exc:
            return result(False, str(exc))
        quotes = [
            SymbolQuote(
                market="TAIEX",
                symbol=s.symbol,
                is_tib_or_psb=False,
                market_type=getattr(constant.MarketType, kind),
                reference_price=float(s.reference_price),
                unit=1000,
                limitup_price=float(s.limitup_price),
                limitdown_price=float(s.limitdown_price),
            )
            for s in symbols
            if s.kind in kinds
        ]
        return result(True, None, quotes)


def _day(text: str) -> date:
    return datetime.strptime(text, "%Y%m%d").date()


def _time_text(time_us: int) -> str:
    return exchange_datetime(time_us * 1000).strftime("%H:%M:%S.%f")[:-3]
