"""Fugle's intraday REST API (`/marketdata/v1.0/stock/intraday/...`): ticker, quote,
trades, candles and volumes of one symbol, authenticated by `X-API-KEY`, `Authorization:
Bearer` or `X-SDK-TOKEN` (any of the exchange's API keys). Errors answer Fugle's
`{"statusCode", "message"}` with the HTTP status: 401 without a good key, 404 for an
unlisted symbol or an unknown path, 400 for a bad query parameter; never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from tradeburst.exchange._market import Market
from tradeburst.exchange.fugle._candles import TIMEFRAMES, candles
from tradeburst.exchange.fugle._shapes import encode
from tradeburst.exchange.fugle._tape import Tape
from tradeburst.exchange.fugle._views import (
    listing,
    quote,
    ticker,
    trade_row,
    volumes,
)

__all__ = ["DEFAULT_TRADES_LIMIT", "MAX_TRADES_LIMIT", "RestApi", "fugle_error"]

DEFAULT_TRADES_LIMIT = 50
MAX_TRADES_LIMIT = 500
_MAX_PARAM_CHARS = 32


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def fugle_error(status: int, message: str) -> web.Response:
    return _json({"statusCode": status, "message": message}, status)


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=encode(payload), status=status, content_type="application/json")


def _credential(request: web.Request) -> str | None:
    headers = request.headers
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token
    return headers.get("X-API-KEY") or headers.get("X-SDK-TOKEN") or None


class RestApi:
    def __init__(self, market: Market, tape: Tape, authenticate: Callable[[str], bool]) -> None:
        self._market = market
        self._tape = tape
        self._authenticate = authenticate
        self._views: dict[str, Callable[[str, web.Request], Any]] = {
            "ticker": lambda symbol, _: ticker(self._market, symbol),
            "quote": lambda symbol, _: quote(self._market, symbol, self._tape.of(symbol)),
            "trades": self._trades,
            "candles": self._candles,
            "volumes": lambda symbol, _: self._listing(symbol, volumes(self._tape.of(symbol))),
        }

    def register(self, app: web.Application, prefix: str) -> None:
        app.router.add_get(prefix + "/intraday/{view}/{symbol}", self.intraday)

    async def intraday(self, request: web.Request) -> web.StreamResponse:
        credential = _credential(request)
        if credential is None or not self._authenticate(credential):
            return fugle_error(401, "Unauthorized")
        view = self._views.get(request.match_info["view"])
        symbol = request.match_info["symbol"]
        if view is None:
            return fugle_error(404, "Not Found")
        if symbol not in self._market.symbols:
            return fugle_error(404, f"symbol {symbol[:20]} is not listed")
        if request.query.get("type") is not None:
            return fugle_error(400, "only the regular board is served: no type=oddlot")
        self._market.sync()
        try:
            return _json(view(symbol, request))
        except _Refused as refused:
            return fugle_error(refused.status, refused.message)

    def _listing(self, symbol: str, data: Any, **extra: Any) -> dict[str, Any]:
        return {
            "date": self._market.day.isoformat(),
            **listing(symbol),
            **extra,
            "data": data,
        }

    def _trades(self, symbol: str, request: web.Request) -> dict[str, Any]:
        """Newest first; `offset` and `limit` page through them, `isTrial` picks trials."""
        offset = _int_param(request, "offset", 0, 0, 10**9)
        limit = _int_param(request, "limit", DEFAULT_TRADES_LIMIT, 1, MAX_TRADES_LIMIT)
        trial = _bool_param(request, "isTrial")
        day = self._tape.of(symbol)
        ticks = list(reversed(day.trials if trial else day.trades))[offset : offset + limit]
        data = [trade_row(t) for t in ticks]
        return self._listing(symbol, data)

    def _candles(self, symbol: str, request: web.Request) -> dict[str, Any]:
        minutes = _int_param(request, "timeframe", 1, 1, 60)
        if minutes not in TIMEFRAMES:
            raise _Refused(400, f"timeframe must be one of {', '.join(map(str, TIMEFRAMES))}")
        data = candles(self._tape.of(symbol), minutes)
        return self._listing(symbol, data, timeframe=str(minutes))


def _param(request: web.Request, name: str) -> str | None:
    value = request.query.get(name)
    if value is not None and len(value) > _MAX_PARAM_CHARS:
        raise _Refused(400, f"{name} is too long")
    return value


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    text = _param(request, name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise _Refused(400, f"{name} must be a whole number from {low} to {high}")
    return int(text)


def _bool_param(request: web.Request, name: str) -> bool:
    text = _param(request, name)
    if text is None or text == "false":
        return False
    if text == "true":
        return True
    raise _Refused(400, f"{name} must be true or false")
