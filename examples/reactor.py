"""A strategy with logic: it watches the trades of its symbols and, after every
`every`-th trade, bids one tick below the trade's price; it stops after `orders` orders."""

from __future__ import annotations

from tradeburst import STOCK_TICKS, Order, Side, Strategy
from tradeburst.marketdata import Tick, Trade
from tradeburst.strategies import OrderUpdate


class TradeReactor(Strategy):
    async def on_start(self) -> None:
        self.every = int(self.params.get("every", 3))
        self.limit = int(self.params.get("orders", 5))
        self.seen = 0
        self.sent = 0
        self.accepted = 0

    async def on_tick(self, tick: Tick) -> None:
        if not isinstance(tick, Trade) or tick.trial or tick.snapshot or self.stopped:
            return
        self.seen += 1
        if self.seen % self.every or self.sent >= self.limit:
            return
        price = STOCK_TICKS.step_down(tick.price)
        self.sent += 1
        await self.submit(
            Order(symbol=tick.symbol, side=Side.BUY, quantity=1000, price_twd=price),
            tag=f"react{self.sent}",
        )

    async def on_order(self, update: OrderUpdate) -> None:
        self.accepted += update.state == "accepted"
        if self.accepted + (self.sent - self.accepted) >= self.limit:
            self.stop()
