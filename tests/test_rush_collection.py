"""A rush's full garbage collection runs before its wait, not in its last moments: the
collection that freezes the run's objects walks the whole heap, hundreds of ms in a large
process, and where it ran between the final clock estimate and the target, a rush whose
final estimate was dropped (0.25 s left) fired that much late. Told by the order of what
the real client did and when the collector started full collections, never by a clock."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tradeburst.brokers import OrderState, SimBroker
from tradeburst.engine import FireOptions, exit_code, rush
from tradeburst.engine._collector import frozen_for_the_run
from tradeburst.model import Order

from _engine_support import QUICK_AGE_S, write_orders
from _rush_support import TARGET, clock_before
from _support import KEY_A, StartExchange

ORDERS = 20
BATCH = 5
CLOCK_READ = "clock read"
ORDER = "order"
FULL_COLLECTION = "full collection"


class EventBroker(SimBroker):
    """The real client, noting each clock read and order request as it starts."""

    def __init__(self, url: str, key: str, events: list[str]) -> None:
        super().__init__(url, key)
        self.events = events

    async def server_time_ns(self) -> int:
        self.events.append(CLOCK_READ)
        return await super().server_time_ns()

    async def place(self, order: Order) -> OrderState:
        self.events.append(ORDER)
        return await super().place(order)

    async def place_batch(self, orders: Sequence[Order]) -> list[OrderState]:
        self.events.append(ORDER)
        return await super().place_batch(orders)


@contextmanager
def full_collections_noted(events: list[str]) -> Iterator[None]:
    def noted(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            events.append(FULL_COLLECTION)

    gc.callbacks.append(noted)
    try:
        yield
    finally:
        gc.callbacks.remove(noted)


async def test_no_full_collection_runs_between_the_last_clock_read_and_the_opening(
    start_exchange: StartExchange, tmp_path: Path
) -> None:
    """The run's objects are frozen before the wait's clock reads; after the last read
    (the final estimate, or the one cut short when it is dropped) the opening comes with
    no full collection in between."""
    exchange = await start_exchange(profile="fubon", clock=clock_before())
    source = write_orders(tmp_path / "orders.csv", ORDERS)
    options = FireOptions(
        max_request_age_s=QUICK_AGE_S, journal=tmp_path / "run.sqlite", max_batch=BATCH
    )
    events: list[str] = []
    with full_collections_noted(events):
        async with EventBroker(exchange.url, KEY_A, events) as broker:
            result = await rush(source, broker, options, TARGET)

    assert exit_code(result) == 0
    first_order = events.index(ORDER)
    last_read = max(i for i, event in enumerate(events[:first_order]) if event == CLOCK_READ)
    assert FULL_COLLECTION not in events[last_read:first_order], events[:first_order]
    assert FULL_COLLECTION in events[:last_read]  # the run's objects were frozen before it


def test_a_nested_freeze_collects_once_and_thaws_only_at_the_outer_end() -> None:
    """The dispatch's own freeze inside a rush's does not collect again, nor thaw early."""
    events: list[str] = []
    with full_collections_noted(events), frozen_for_the_run():
        with frozen_for_the_run():
            frozen_inside = gc.get_freeze_count()
        frozen_after_inner = gc.get_freeze_count()
    assert events == [FULL_COLLECTION]
    assert frozen_inside > 0
    assert frozen_after_inner == frozen_inside
    assert gc.get_freeze_count() == 0
