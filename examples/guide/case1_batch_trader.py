"""The guide's case 1 (券商批量下單系統): `AsyncFubonTrader` sends batches through
`batch_place_order` on a thread pool with `run_in_executor`, and `ultra_fast_batch_send`
(開盤搶單優化) sends the chunks of a larger list with a small delay between them. Written for
the real `fubon_neo`; rehearse it with `tradeburst rehearse examples/guide/case1_batch_trader.py`.

Usage: case1_batch_trader.py [SYMBOL] [PRICE]
"""

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

from fubon_neo.constant import BSAction, MarketType, OrderType, PriceType, TimeInForce
from fubon_neo.sdk import Order

from _account import login

SYMBOL = sys.argv[1] if len(sys.argv) > 1 else "2881"
PRICE = sys.argv[2] if len(sys.argv) > 2 else "85"


def create_order(symbol, price, quantity, tag):
    return Order(
        BSAction.Buy, symbol, quantity, MarketType.Common, PriceType.Limit, TimeInForce.ROD,
        OrderType.Stock, price, tag,
    )


class AsyncFubonTrader:
    def __init__(self, sdk, account, max_workers=50):
        self.sdk = sdk
        self.account = account
        self.executor = ThreadPoolExecutor(max_workers=max_workers)

    async def batch_buy_stock(self, symbol, batch_count, quantity_per_batch, tag):
        def _batch_order():
            orders = [
                create_order(symbol, PRICE, quantity_per_batch, f"{tag}{i:02d}")
                for i in range(batch_count)
            ]
            return self.sdk.stock.batch_place_order(self.account, orders)

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, _batch_order)

    async def send_chunk(self, chunk, number):
        def _send():
            return self.sdk.stock.batch_place_order(self.account, chunk)

        result = await asyncio.get_running_loop().run_in_executor(self.executor, _send)
        return number, result

    async def ultra_fast_batch_send(self, orders, chunk_size=10, delay_ms=50):
        chunks = [orders[i : i + chunk_size] for i in range(0, len(orders), chunk_size)]
        tasks = []
        for i, chunk in enumerate(chunks):
            tasks.append(asyncio.ensure_future(self.send_chunk(chunk, i + 1)))
            if delay_ms > 0 and i < len(chunks) - 1:
                await asyncio.sleep(delay_ms / 1000)
        return await asyncio.gather(*tasks)


async def main():
    sdk, account = login()
    trader = AsyncFubonTrader(sdk, account)
    batches = await asyncio.gather(
        *(trader.batch_buy_stock(SYMBOL, 25, 1000, f"c1b{n}") for n in range(4))
    )
    acknowledged = sum(len(r.data) for r in batches if r.is_success)
    for n, result in enumerate(batches):
        print(f"batch {n}: {'ok, ' + str(len(result.data)) + ' orders' if result.is_success else result.message}")

    rush = [create_order(SYMBOL, PRICE, 1000, f"c1r{i:02d}") for i in range(30)]
    for number, result in await trader.ultra_fast_batch_send(rush, chunk_size=10, delay_ms=50):
        print(f"rush chunk {number}: {'ok' if result.is_success else result.message}")
        acknowledged += len(result.data) if result.is_success else 0

    placed = sdk.stock.get_order_results(account)
    mine = [o for o in placed.data if (o.user_def or "").startswith("c1")] if placed.is_success else []
    print(f"case 1: {acknowledged} orders acknowledged, {len(mine)} at the broker")
    sdk.logout()
    trader.executor.shutdown()
    return 0 if acknowledged == len(mine) == 130 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
