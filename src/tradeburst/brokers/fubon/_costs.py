"""What the `fubon_neo` SDK costs where the broker runs it, measured with the real SDK for
`tradeburst bench fubon`: the CPU of an idle process holding a `FubonSDK` (spawned as the
worker is, in a private folder, since the SDK writes `./log` wherever it runs) beside one
holding nothing, and the cost of building the SDK `Order` in the worker (`sdk_order`, once
per order of every call) beside what the same order costs to cross the pipe (the call and
its reply encoded and decoded).
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any

from tradeburst.brokers._protocol import OrderState
from tradeburst.brokers.fubon._folder import dispose, private_folder
from tradeburst.brokers.fubon._mapping import sdk_order
from tradeburst.brokers.fubon._sdk import real_sdk
from tradeburst.brokers.fubon._wire import (
    Call,
    Placed,
    Reply,
    decode_to_parent,
    decode_to_worker,
    encode,
)
from tradeburst.model import Order, OrderStatus, Side

__all__ = ["idle_cpu", "order_costs"]

SETTLE_S = 1.0
"""After the SDK connects, before the window opens."""
REPORT_SLACK_S = 120.0
"""Beyond the window, for a spawned process to start and connect on a busy machine."""
ROUNDS = 7


# -- building the Order -------------------------------------------------------------------


def order_costs(count: int) -> dict[str, float]:
    """Median µs per order over `ROUNDS`: building it, and its round over the pipe."""
    order = Order(symbol="2330", side=Side.BUY, quantity=1000, price_twd=Decimal("612"),
                  user_def="BENCH00001")  # fmt: skip
    state = OrderState(user_def=order.user_def, order_no="x0001", status=OrderStatus.ACCEPTED,
                       symbol=order.symbol, quantity=order.quantity)  # fmt: skip
    reply = Reply(id=1, ok=True, placed=[Placed(seq_no="00000001", state=state)])

    def build() -> None:
        sdk_order(order)

    def pipe() -> None:
        decode_to_worker(encode(Call(id=1, method="place", orders=[order])))
        decode_to_parent(encode(reply))

    built = _median_us(build, count)
    crossed = _median_us(pipe, count)
    return {"build_sdk_order": built, "pipe_round": crossed, "build_per_pipe": built / crossed}


def _median_us(work: Any, count: int) -> float:
    work()  # imports and caches out of the window
    rounds = []
    for _ in range(ROUNDS):
        started = time.perf_counter_ns()
        for _ in range(count):
            work()
        rounds.append((time.perf_counter_ns() - started) / count / 1000)
    return statistics.median(rounds)


# -- idle CPU -----------------------------------------------------------------------------


def idle_cpu(url: str, idle_s: float, with_sdk: bool) -> float | None:
    """CPU used over `idle_s` by a process spawned as the worker is, holding a `FubonSDK`
    connected to `url` or nothing, in % of one core; None if it ended without reporting."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    folder = private_folder()  # the SDK writes ./log wherever it runs
    process = context.Process(target=_idle_child, args=(theirs, str(folder), url, idle_s,
                                                        with_sdk), daemon=True)  # fmt: skip
    try:
        process.start()
        theirs.close()
        try:
            if not ours.poll(idle_s + REPORT_SLACK_S):
                return None
            cpu_s, wall_s = ours.recv()
        except EOFError:
            return None
        return round(100.0 * float(cpu_s) / float(wall_s), 2)
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        dispose(folder, None)


def _idle_child(conn: Connection, folder: str, url: str, idle_s: float, with_sdk: bool) -> None:
    os.chdir(folder)
    sdk = real_sdk(url) if with_sdk else None
    time.sleep(SETTLE_S)
    cpu, wall = time.process_time(), time.monotonic()
    time.sleep(idle_s)
    conn.send((time.process_time() - cpu, time.monotonic() - wall))
    del sdk
    os._exit(0)  # the SDK's threads would keep the process alive
