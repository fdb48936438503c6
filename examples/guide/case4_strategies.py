"""The guide's case 4 (多策略並行下單): several strategies send their batches at once with
`asyncio.gather`, each through `ultra_fast_batch_send(chunk_size=3, delay_ms=5)`, every
batch a `batch_place_order` on a thread pool. Written for the real `fubon_neo`; rehearse
it with `tradeburst rehearse examples/guide/case4_strategies.py`. A batch the broker
refuses (`業務系統流量控管` above 10 batches a second) is printed, not hidden.

Usage: case4_strategies.py [PRICE]
"""

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

from fubon_neo.constant import BSAction, MarketType, OrderType, PriceType, TimeInForce
from fubon_neo.sdk import Order

from _account import login

PRICE_FACTOR = float(sys.argv[1]) if len(sys.argv) > 1 else 0.96
STRATEGIES = {
    "momentum": [("2881", "88.6"), ("2882", "62.3"), ("2891", "40.60")],
    "value": [("2886", "41.25"), ("2884", "28.80"), ("2881", "88.6")],
    "pairs": [("2882", "62.3"), ("2891", "40.60"), ("2886", "41.25")],
}
TICKS = [(10, 0.01), (50, 0.05), (100, 0.1), (500, 0.5), (1000, 1.0)]


def on_tick(price):
    tick = next((t for bound, t in TICKS if price < bound), 5.0)
    return f"{round(round(price / tick) * tick, 2):g}"


class MultiStrategyTrader:
    def __init__(self, sdk, account):
        self.sdk = sdk
        self.account = account
        self.executor = ThreadPoolExecutor(max_workers=10)

    def prepare_orders(self, name, symbols):
        return [
            Order(
                BSAction.Buy, symbol, 1000, MarketType.Common, PriceType.Limit, TimeInForce.ROD,
                OrderType.Stock, on_tick(float(reference) * PRICE_FACTOR), f"c4{name[:3]}{i}{j}",
            )
            for i, (symbol, reference) in enumerate(symbols)
            for j in range(2)
        ]

    async def send_chunk(self, chunk):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, self.sdk.stock.batch_place_order, self.account, chunk
        )

    async def ultra_fast_batch_send(self, orders, chunk_size=3, delay_ms=5):
        chunks = [orders[i : i + chunk_size] for i in range(0, len(orders), chunk_size)]
        tasks = []
        for i, chunk in enumerate(chunks):
            tasks.append(asyncio.ensure_future(self.send_chunk(chunk)))
            if delay_ms > 0 and i < len(chunks) - 1:
                await asyncio.sleep(delay_ms / 1000)
        return await asyncio.gather(*tasks)

    async def execute_multiple_strategies(self, strategies):
        async def execute_strategy(name, symbols):
            orders = self.prepare_orders(name, symbols)
            results = await self.ultra_fast_batch_send(orders, chunk_size=3, delay_ms=5)
            return name, results

        return await asyncio.gather(*(execute_strategy(n, s) for n, s in strategies.items()))


async def main():
    sdk, account = login()
    trader = MultiStrategyTrader(sdk, account)
    sent = 0
    for name, results in await trader.execute_multiple_strategies(STRATEGIES):
        for result in results:
            if result.is_success:
                sent += len(result.data)
            else:
                print(f"{name}: a batch was refused: {result.message}")
        print(f"{name}: {sum(len(r.data) for r in results if r.is_success)} orders acknowledged")
    placed = sdk.stock.get_order_results(account)
    at_broker = [o for o in placed.data if (o.user_def or "").startswith("c4")]
    print(f"case 4: {sent} orders acknowledged, {len(at_broker)} at the broker")
    sdk.logout()
    trader.executor.shutdown()
    return 0 if sent == len(at_broker) == 18 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
