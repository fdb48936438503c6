"""The guide's case 3 (時間比較系統): place a few orders, then set each order's `last_time`
from `get_order_results` against the local time of the query, graded 🟢 under 1 s,
🟡 under 5 s, 🔴 beyond. Written for the real `fubon_neo`; rehearse it with
`tradeburst rehearse examples/guide/case3_time_comparison.py`.

The broker's times are Taipei times of day, so the local time is read in Asia/Taipei too
(the guide's `datetime.now()` is off by the zone on a machine that is not in Taipei), and a
`last_time` on a whole second comes without its `.000`.

Usage: case3_time_comparison.py [SYMBOL] [PRICE] [ORDERS]
"""

import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from fubon_neo.constant import BSAction, MarketType, OrderType, PriceType, TimeInForce
from fubon_neo.sdk import Order

from _account import login

SYMBOL = sys.argv[1] if len(sys.argv) > 1 else "2881"
PRICE = sys.argv[2] if len(sys.argv) > 2 else "85"
ORDERS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
TAIPEI = ZoneInfo("Asia/Taipei")


def order_time(today, last_time_str):
    pattern = "%Y-%m-%d %H:%M:%S.%f" if "." in last_time_str else "%Y-%m-%d %H:%M:%S"
    return datetime.strptime(f"{today} {last_time_str}", pattern)


def print_time_comparison(order_history, query_time):
    today = query_time.strftime("%Y-%m-%d")
    graded = 0
    for i, order in enumerate(order_history, 1):
        last_time_str = getattr(order, "last_time", None)
        if last_time_str:
            time_diff = query_time - order_time(today, last_time_str)
            diff_ms = abs(time_diff.total_seconds() * 1000)
            status = "🟢 即時" if diff_ms < 1000 else "🟡 延遲" if diff_ms < 5000 else "🔴 嚴重延遲"
            print(f"{i}. 委託時間: {last_time_str}")
            print(f"   本地時間: {query_time.strftime('%H:%M:%S.%f')[:-3]}")
            print(f"   時間差異: {diff_ms:.1f}ms {status}")
            graded += 1
    return graded


def main():
    sdk, account = login()
    for i in range(ORDERS):
        order = Order(
            BSAction.Buy, SYMBOL, 1000, MarketType.Common, PriceType.Limit, TimeInForce.ROD,
            OrderType.Stock, PRICE, f"c3t{i}",
        )
        placed = sdk.stock.place_order(account, order)
        if not placed.is_success:
            raise SystemExit(f"order {i} refused: {placed.message}")
    results = sdk.stock.get_order_results(account)
    query_time = datetime.now(TAIPEI).replace(tzinfo=None)
    if not results.is_success:
        raise SystemExit(f"get_order_results: {results.message}")
    mine = [o for o in results.data if (o.user_def or "").startswith("c3t")]
    graded = print_time_comparison(mine, query_time)
    print(f"case 3: {graded} of {ORDERS} orders compared")
    sdk.logout()
    return 0 if graded == ORDERS else 1


if __name__ == "__main__":
    sys.exit(main())
