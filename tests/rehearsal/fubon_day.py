"""A day's work written for Fubon's real `fubon_neo` 2.3.1, as a Fubon user writes it: no
tradeburst import anywhere. `tradeburst rehearse` runs it unchanged; it checks what the
real SDK documents and exits 1 at the first thing that differs. Its orders are tagged
`fd…` so the test can count them at the exchange.

Usage: fubon_day.py SYMBOL REFERENCE_PRICE
"""

import sys
import threading
import time

from fubon_neo.constant import BSAction, MarketType, OrderType, PriceType, TimeInForce
from fubon_neo.sdk import FubonSDK, Order

SYMBOL = sys.argv[1]
REFERENCE = sys.argv[2]
WAIT_S = 10


class Reports:
    """Every callback, in the order it came, and the thread it came on."""

    def __init__(self):
        self.items = []
        self.threads = set()
        self.changed = threading.Condition()

    def add(self, kind, code, content):
        with self.changed:
            self.items.append((kind, code, content))
            self.threads.add(threading.current_thread().name)
            self.changed.notify_all()

    def wait_for(self, what, test):
        deadline = time.monotonic() + WAIT_S
        with self.changed:
            while not test(self.items):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"no {what} within {WAIT_S} s: {self.items[-5:]}")
                self.changed.wait(left)

    def of(self, kind, seq_no):
        return [(c, r) for k, c, r in self.items if k == kind and r.seq_no == seq_no]


def order(side, price, tag, quantity=1000, price_type=PriceType.Limit, tif=TimeInForce.ROD):
    return Order(
        side, SYMBOL, quantity, MarketType.Common, price_type, tif, OrderType.Stock, price, tag
    )


def check(condition, what):
    if not condition:
        raise SystemExit(f"not as the real SDK: {what}")


sdk = FubonSDK(30, 2, "wss://neoapitest.fbs.com.tw/TASP/XCPXWS")
accounts = sdk.login("A123456789", "password", "/path/to/cert.pfx", "certpass")
check(accounts.is_success, f"login: {accounts}")
account = accounts.data[0]
check(account.account_type == "stock", f"account: {account}")

reports = Reports()
sdk.set_on_order(lambda code, content: reports.add("order", code, content))
sdk.set_on_order_changed(lambda code, content: reports.add("changed", code, content))
sdk.set_on_filled(lambda code, content: reports.add("filled", code, content))
sdk.set_on_event(lambda code, content: reports.add("event", code, content))

# Single, blocking: the final result; one report 10.
low = str(round(float(REFERENCE) * 0.95, 1))
placed = sdk.stock.place_order(account, order(BSAction.Buy, low, "fd1"))
check(
    placed.is_success and placed.data.status == 10 and placed.data.order_no, f"blocking: {placed}"
)
check(
    placed.data.function_type == 0 and isinstance(placed.data.price, float), f"shape: {placed.data}"
)
reports.wait_for("report of fd1", lambda items: reports.of("order", placed.data.seq_no))
check([r.status for _, r in reports.of("order", placed.data.seq_no)] == [10], "blocking reports")

# Unblock: the status-4 acknowledgement, then 4 → 8 → 10 on the callback thread.
ack = sdk.stock.place_order(account, order(BSAction.Buy, low, "fd2"), True)
check(ack.is_success and ack.data.status == 4 and ack.data.order_no is None, f"unblock: {ack}")
reports.wait_for("fd2's 10", lambda items: len(reports.of("order", ack.data.seq_no)) == 3)
check([r.status for _, r in reports.of("order", ack.data.seq_no)] == [4, 8, 10], "unblock reports")
check("MainThread" not in reports.threads, "callbacks must come on a thread of their own")

# Batch: acknowledgements, then the reports; 31 refused before sending.
batch = [order(BSAction.Buy, low, f"fd3b{i}") for i in range(3)]
acks = sdk.stock.batch_place_order(account, batch)
check(acks.is_success and [a.status for a in acks.data] == [4, 4, 4], f"batch: {acks}")
for a in acks.data:
    reports.wait_for(
        "a batch order's 10", lambda items, a=a: len(reports.of("order", a.seq_no)) == 2
    )
too_many = sdk.stock.batch_place_order(account, [order(BSAction.Buy, low, "fdx")] * 31)
check(not too_many.is_success and "Max 30" in too_many.message, f"31: {too_many}")

# A price outside the day's limits: refused, the reason in the message and the report.
far = str(round(float(REFERENCE) * 1.5, 1))
refused = sdk.stock.place_order(account, order(BSAction.Buy, far, "fd4"))
check(
    not refused.is_success and "單價輸入錯誤" in refused.message and refused.data is None,
    f"{refused}",
)

# Modify price, then quantity, then cancel: 4 → outcome on on_order_changed.
working = placed.data
lower = str(round(float(REFERENCE) * 0.94, 1))
repriced = sdk.stock.modify_price(account, sdk.stock.make_modify_price_obj(working, lower))
check(
    repriced.is_success and repriced.data.after_price == float(lower), f"modify_price: {repriced}"
)
same = sdk.stock.modify_price(account, sdk.stock.make_modify_price_obj(working, lower))
check(
    not same.is_success and same.message.startswith("證券改價限價格格和原價格相同"),
    f"same price: {same}",
)
order5 = sdk.stock.place_order(account, order(BSAction.Buy, low, "fd5", quantity=3000))
resized = sdk.stock.modify_quantity(account, sdk.stock.make_modify_quantity_obj(order5.data, 1000))
check(resized.is_success and resized.data.after_qty == 1000, f"modify_quantity: {resized}")
cancelled = sdk.stock.cancel_order(account, working)
check(cancelled.is_success and cancelled.data.status == 30, f"cancel: {cancelled}")
again = sdk.stock.cancel_order(account, working)
check(not again.is_success, f"cancel twice: {again}")
reports.wait_for(
    "the changes' reports", lambda items: len(reports.of("changed", working.seq_no)) >= 6
)

# A fill: buy at the limit-up price (marketable against the book), sell it back the same way.
quote = sdk.stock.query_symbol_quote(account, SYMBOL)
check(quote.is_success and quote.data.reference_price == float(REFERENCE), f"quote: {quote}")
up = sdk.stock.place_order(
    account, order(BSAction.Buy, None, "fd6", price_type=PriceType.LimitUp, tif=TimeInForce.IOC)
)
check(up.is_success, f"marketable buy: {up}")
reports.wait_for("a fill", lambda items: any(k == "filled" for k, _, _ in items))
fill = next(r for k, _, r in reports.items if k == "filled")
check(fill.seq_no == up.data.seq_no and fill.user_def == "fd6" and fill.filled_qty > 0, f"{fill}")

# Queries: order results, fills, snapshot, inventory.
results = sdk.stock.get_order_results(account)
mine = [r for r in results.data if (r.user_def or "").startswith("fd")]
check(results.is_success and all(r.function_type is None for r in mine), "order results")
check(
    sorted(r.user_def for r in mine)
    == ["fd1", "fd2", "fd3b0", "fd3b1", "fd3b2", "fd4", "fd5", "fd6"],
    f"{[r.user_def for r in mine]}",
)
history = sdk.stock.filled_history(account)
check(history.is_success and history.data and history.data[0].seq_no is None, f"fills: {history}")
snapshot = sdk.stock.query_symbol_snapshot(account)
check(snapshot.is_success and any(q.symbol == SYMBOL for q in snapshot.data), "snapshot")
inventory = sdk.accounting.inventories(account)
check(
    inventory.is_success and any(i.stock_no == SYMBOL and i.today_qty > 0 for i in inventory.data),
    f"{inventory}",
)

print(f"fubon_day: {len(mine)} orders, {len(history.data)} fills, all as the real SDK documents")
sdk.logout()
sdk.shutdown()
