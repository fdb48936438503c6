"""The HTTP and WebSocket API of the rehearsal exchange: one handler per route, each a
thin layer that decodes the body, applies the broker's limits and faults, asks the
`Market`, flushes the `Store` and answers in the Fubon-shaped envelope.

`ExchangeApp` joins the routes and lays them out: the steps every order action shares
(`_request_steps.py`, with the order the broker's behaviour comes in), the order actions
(`_order_routes.py`, and `_batch_changes.py` for the batch changes), the information and
account queries (`_info_routes.py`, and `_positions.py`), and the streams
(`_stream_routes.py`). The gateway's middleware (`_gateway.py`), the only one, runs
around each: it stamps, authorizes, answers `Answered` and awaits the store's commit.
"""

from __future__ import annotations

from aiohttp import web

from tradeburst.exchange._batch_changes import BatchChanges
from tradeburst.exchange._info_routes import InfoRoutes
from tradeburst.exchange._order_routes import OrderRoutes
from tradeburst.exchange._positions import add_positions_route
from tradeburst.exchange._stream_routes import StreamRoutes
from tradeburst.exchange.fugle import FugleMarketData

__all__ = ["ExchangeApp"]


class ExchangeApp(OrderRoutes, InfoRoutes, StreamRoutes):
    def build(self) -> web.Application:
        self.app = app = web.Application(middlewares=[self.gateway.middleware])
        app.router.add_get("/openapi.json", self.openapi)
        app.router.add_get("/v1/time", self.time)
        app.router.add_get("/v1/limits", self.limits)
        app.router.add_get("/v1/symbols", self.symbols)
        app.router.add_get("/v1/quotes/{symbol}", self.quote)
        app.router.add_post("/v1/orders", self.place)
        app.router.add_post("/v1/orders/batch", self.place_batch)
        app.router.add_get("/v1/orders", self.orders)
        app.router.add_post("/v1/orders/{order_no}/cancel", self.cancel)
        app.router.add_post("/v1/orders/{order_no}/modify-price", self.modify_price)
        app.router.add_post("/v1/orders/{order_no}/modify-quantity", self.modify_quantity)
        BatchChanges(self).register(app)
        app.router.add_get("/v1/fills", self.fills)
        add_positions_route(self, app)
        app.router.add_get("/v1/stream", self.account_stream)
        app.router.add_get("/v1/marketdata", self.market_data)
        app.router.add_get("/v1/admin/orders", self.admin_orders)
        app.router.add_get("/v1/admin/stats", self.admin_stats)
        app.on_shutdown.append(self._close_sockets)
        self.fugle = FugleMarketData.attach(app, self.market, self.gateway.account_for)
        return app
