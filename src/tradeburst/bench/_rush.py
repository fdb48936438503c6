"""`tradeburst bench rush`: how close to its target a rush's first order leaves, over many
rushes, beside the two naive ways of waiting for a moment, in the same run against the
same exchange (its own process, limits off):

- tradeburst: a whole `rush` of one order (checks, journal, warm connections, clock offset,
  the opening taken ahead, sleep then spin), its first send stamp against its target;
- asyncio_sleep: `await asyncio.sleep(target - now)`, then the same send;
- time_sleep: `time.sleep(target - now)`, then the same send.

Every stamp is taken the same way, just before the order is handed to the broker client,
and the three take turns so that a noisy moment on the machine falls on all of them. With
`load`, each round is run twice, quiet and then with a CPU hog on every core (`_hogs`),
and the figures say whether the rush's last moments got raised priority.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeburst._platform import raise_thread, restore_thread
from tradeburst.bench._hogs import Hogs
from tradeburst.bench._servers import BENCH_KEY, exchange_server, serving
from tradeburst.brokers import SimBroker
from tradeburst.clock import exchange_datetime, mono_ns
from tradeburst.demo import sample_orders, write_orders_csv
from tradeburst.engine import FIFO_PRIORITY, FireOptions, InvalidInput, rush
from tradeburst.model import Order, Side
from tradeburst.summary import FireError

__all__ = ["run_rush_bench"]

DEFAULT_RUSHES = 100
LEAD_S = 1.5
"""How far ahead each target is set: room for a rush's preparation (journal, warm-up, two
clock estimates) even on a busy machine."""
TRIES = 3
"""Targets a round may set before it gives up: one passes when the machine is so busy that
the rush is not ready `LEAD_S` later (counted in the figures as `missed_targets`)."""

Waiter = Callable[[int], Awaitable[None]]


async def run_rush_bench(rushes: int = DEFAULT_RUSHES, *, load: bool = False) -> dict[str, Any]:
    hogs = Hogs() if load else None
    kinds = ("quiet", "load") if load else ("quiet",)
    errors: dict[str, dict[str, list[int]]] = {
        k: {name: [] for name in (*WAYS, "missed_targets")} for k in kinds
    }
    async with serving(exchange_server("none")) as url:
        broker = SimBroker(url, BENCH_KEY, connections=1)
        try:
            await broker.connect()
            instruments = list((await broker.instruments()).values())
            with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
                if hogs is not None:
                    stack.enter_context(hogs)
                for kind in kinds:
                    (Path(folder) / kind).mkdir()
                for i in range(rushes):
                    for kind in kinds:
                        if hogs is not None:
                            hogs.on() if kind == "load" else hogs.off()
                        await _round(broker, instruments, i, Path(folder) / kind, errors[kind])
        finally:
            await broker.aclose()
    figures: dict[str, Any] = {
        "rushes": rushes,
        "fire_error_us": _ways(errors["quiet"]),
        "missed_targets": sum(errors["quiet"]["missed_targets"]),
    }
    if hogs is not None:
        figures["hogs"] = hogs.count
        figures["fire_error_us_load"] = _ways(errors["load"])
        figures["missed_targets_load"] = sum(errors["load"]["missed_targets"])
    figures["priority"] = _priority_granted()
    return figures


async def _round(
    broker: SimBroker, instruments: list[Any], i: int, folder: Path, errors: dict[str, list[int]]
) -> None:
    orders = sample_orders(instruments, 3, seed=i)
    path = write_orders_csv(orders[:1], folder / f"rush-{i}.csv")
    error, missed = await _tradeburst(broker, path, folder)
    errors["tradeburst"].append(error)
    errors["missed_targets"].append(missed)
    for k, (name, waiter) in enumerate(NAIVE_WAYS, start=1):
        naive = _order(orders[k], user_def=f"NAIV{folder.name[0].upper()}{i:04d}{k}")
        errors[name].append(await _naive(broker, naive, waiter))


def _priority_granted() -> str:
    """What a rush's last moments get on this machine: the same call, undone at once."""
    got = raise_thread(FIFO_PRIORITY)
    if isinstance(got, str):
        return f"not granted: {got}"
    restore_thread(got)
    return f"granted: {got.how}"


def _order(body: dict[str, Any], *, user_def: str) -> Order:
    return Order(
        symbol=body["symbol"],
        side=Side(body["buy_sell"]),
        quantity=body["quantity"],
        price_twd=Decimal(body["price"]),
        user_def=user_def,
    )


async def _tradeburst(broker: SimBroker, path: Path, folder: Path) -> tuple[int, int]:
    """The first send's error against the target, and how many targets passed before the
    rush was ready (a machine too busy for `LEAD_S`: tried again with a new target)."""
    for missed in range(TRIES):
        now_ns = await broker.server_time_ns()
        target = exchange_datetime(now_ns + int(LEAD_S * 1e9)).time()
        # Rounds send the same order on purpose: not a repeat to refuse.
        options = FireOptions(journal=folder / f"{path.stem}-{missed}.sqlite", again=True)
        try:
            result = await rush(path, broker, options, target)
        except InvalidInput:
            if missed + 1 == TRIES:
                raise
            continue
        dispatch = result.dispatch
        assert dispatch is not None and dispatch.target_ns is not None
        if result.summary.orders.accepted != 1:
            raise RuntimeError(f"a rush of one order ended {result.summary.orders}")
        return dispatch.opening_sends_ns[0] - dispatch.target_ns, missed
    raise AssertionError("unreachable")


async def _naive(broker: SimBroker, order: Order, wait: Waiter) -> int:
    target_ns = mono_ns() + int(LEAD_S * 1e9)
    await wait(target_ns)
    sent_ns = mono_ns()
    answer = await broker.place(order)
    if not answer.accepted:
        raise RuntimeError(f"the exchange refused a benchmark order: {answer.message}")
    return sent_ns - target_ns


async def _asyncio(target_ns: int) -> None:
    await asyncio.sleep(max(0, target_ns - mono_ns()) / 1e9)


async def _blocking(target_ns: int) -> None:
    time.sleep(max(0, target_ns - mono_ns()) / 1e9)  # noqa: ASYNC251 - the naive way


NAIVE_WAYS: tuple[tuple[str, Waiter], ...] = (
    ("asyncio_sleep", _asyncio),
    ("time_sleep", _blocking),
)
WAYS = ("tradeburst", *(name for name, _ in NAIVE_WAYS))


def _ways(errors: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    return {name: _figures(errors[name]) for name in WAYS}


def _figures(errors_ns: list[int]) -> dict[str, float]:
    error = FireError.of(errors_ns)
    return {"p50": error.p50, "p99": error.p99, "max": error.max}
