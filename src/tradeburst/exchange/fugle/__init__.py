"""Fugle's market-data protocol on the rehearsal exchange, so that the unmodified
`fugle_marketdata` clients work against it: `WebSocketClient(api_key=K,
base_url="ws://HOST:PORT/marketdata")` and `RestClient(api_key=K,
base_url="http://HOST:PORT/marketdata")`.

It reads the same market events as the exchange's own `/v1/marketdata` (it is one more
listener on the market, and gets the same trial matches), keeps the day's tape in Fugle's
terms, and serves it at `/marketdata/v1.0/stock/streaming` and
`/marketdata/v1.0/stock/intraday/...`. `heartbeat_s` sets the streaming heartbeat (30 s,
as Fugle sends it) and `auth_timeout_s` how long a new connection has to authenticate;
a test may shorten either before connecting.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from aiohttp import web

from tradeburst.exchange._accounts import Account
from tradeburst.exchange._market import Market
from tradeburst.exchange.fugle._handshake import AUTH_TIMEOUT_S
from tradeburst.exchange.fugle._hub import Hub
from tradeburst.exchange.fugle._rest import RestApi, fugle_error
from tradeburst.exchange.fugle._tape import Tape
from tradeburst.exchange.fugle._ws import serve_connection

__all__ = ["BASE_PATH", "HEARTBEAT_S", "FugleMarketData"]

BASE_PATH = "/marketdata"
VERSION_PATH = BASE_PATH + "/v1.0/stock"
HEARTBEAT_S = 30.0


class FugleMarketData:
    """The tape, the subscriptions and the routes of Fugle's protocol on one exchange."""

    def __init__(self, market: Market, account_for: Callable[[str], Account | None]) -> None:
        self._market = market
        self._account_for = account_for
        self.heartbeat_s = HEARTBEAT_S
        self.auth_timeout_s = AUTH_TIMEOUT_S
        self.hub = Hub(market, lambda symbol: self.tape.of(symbol))
        self.tape = Tape(market, self.hub.on_tick, self.hub.on_book)
        self._rest = RestApi(market, self.tape, self._authenticate)
        self._sockets: set[web.WebSocketResponse] = set()
        market.listeners.append(self.tape)

    @classmethod
    def attach(
        cls, app: web.Application, market: Market, account_for: Callable[[str], Account | None]
    ) -> FugleMarketData:
        """Serve Fugle's protocol on `app`, fed by `market`; keys as `account_for` knows them."""
        service = cls(market, account_for)
        app.router.add_get(VERSION_PATH + "/streaming", service.streaming)
        service._rest.register(app, VERSION_PATH)
        # Any other path under the base (newlines included) answers in Fugle's shape.
        app.router.add_route("*", BASE_PATH + r"/{tail:[\s\S]*}", service.not_found)
        app.on_shutdown.append(service._close_sockets)
        return service

    def _authenticate(self, key: str) -> bool:
        return self._account_for(key) is not None

    def trial(self, symbol: str, price: Decimal, shares: int, time_ns: int) -> None:
        """A trial match before an auction, as the exchange publishes it."""
        self.tape.trial(symbol, price, shares, time_ns)

    async def streaming(self, request: web.Request) -> web.StreamResponse:
        if not web.WebSocketResponse().can_prepare(request).ok:
            return fugle_error(400, "this endpoint speaks WebSocket only")
        return await serve_connection(
            request,
            hub=self.hub,
            market=self._market,
            authenticate=self._authenticate,
            heartbeat_s=self.heartbeat_s,
            auth_timeout_s=self.auth_timeout_s,
            sockets=self._sockets,
        )

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        return fugle_error(404, "Not Found")

    async def _close_sockets(self, app: web.Application) -> None:
        for socket in list(self._sockets):
            await socket.close()
