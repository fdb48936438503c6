"""The request-age rule as a property: for any schedule of refused sends, lost answers,
late deliveries within the request age and a crash of the client, each intent is placed at
most once, and a resume after the crash places every one exactly once.

The broker here is a model (the one stand-in of these tests, at the `Broker` seam): an
account's order book behind a network that delivers each request after the delay the
schedule gives it and keeps delivering after the client has given up or died. The engine
under test is the real one: `fire`, its journal on disk, and `resume`."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tradeburst.brokers import AnswerLost, Capabilities, Instrument, NotSent, OrderState
from tradeburst.engine import FireOptions, exit_code, fire, resume
from tradeburst.limits import PROFILES, LimitProfile
from tradeburst.model import Fill, Order, OrderStatus

from _engine_support import write_orders

AGE_S = 0.4
"""The request age the runs are given: every delivery of the schedule is within it."""
ANSWER_TIMEOUT_S = 0.05


@dataclass(frozen=True, slots=True)
class Fate:
    """What the network does with one request."""

    refused: bool
    """Refused before it left (the broker says nothing was placed)."""
    delay_s: float
    """How long it takes to reach the broker."""
    answer_lost: bool


fates = st.builds(
    Fate,
    refused=st.sampled_from([False, False, False, True]),
    delay_s=st.sampled_from([0.0, 0.01, 0.1, 0.3]),
    answer_lost=st.booleans(),
)


class ModelAccount:
    """The broker's orders of one account, and the network in front of it."""

    def __init__(self, schedule: Sequence[Fate]) -> None:
        self._fates = itertools.chain(schedule, itertools.repeat(Fate(False, 0.0, False)))
        self.orders: list[OrderState] = []
        self._numbers = itertools.count(1)
        self.deliveries: set[asyncio.Task[None]] = set()

    def send(self, orders: Sequence[Order]) -> tuple[Fate, asyncio.Task[None]]:
        fate = next(self._fates)
        delivery = asyncio.create_task(self._deliver(orders, fate.delay_s))
        self.deliveries.add(delivery)  # the network holds it, whatever the client does
        delivery.add_done_callback(self.deliveries.discard)
        return fate, delivery

    async def _deliver(self, orders: Sequence[Order], delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        for order in orders:
            self.orders.append(
                OrderState(
                    user_def=order.user_def,
                    order_no=f"n{next(self._numbers)}",
                    status=OrderStatus.ACCEPTED,
                    symbol=order.symbol,
                    quantity=order.quantity,
                )
            )

    async def settle(self) -> None:
        """Wait until everything the network holds has been delivered."""
        while self.deliveries:
            await asyncio.gather(*self.deliveries)


class ModelBroker:
    """A `Broker` over a `ModelAccount`."""

    name = "model"
    account = "A"

    def __init__(self, account: ModelAccount) -> None:
        self._account = account

    @property
    def profile(self) -> LimitProfile:
        return PROFILES["none"]

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(max_batch_orders=3, connections=4)

    async def connect(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def warm(self, connections: int) -> None:
        return None

    def prepare(self, orders: Sequence[Order]) -> None:
        return None

    async def instruments(self) -> dict[str, Instrument]:
        return {
            "2891": Instrument(
                symbol="2891",
                name="CTBC",
                kind="stock",
                reference_twd=Decimal("40.60"),
                limit_up_twd=Decimal("44.65"),
                limit_down_twd=Decimal("36.55"),
            )
        }

    async def server_time_ns(self) -> int:
        return time.time_ns()

    async def place(self, order: Order) -> OrderState:
        return (await self.place_batch([order]))[0]

    async def place_batch(self, orders: Sequence[Order]) -> list[OrderState]:
        fate, delivery = self._account.send(orders)
        if fate.refused:
            delivery.cancel()
            raise NotSent("refused before it left")
        if fate.answer_lost:
            await asyncio.sleep(ANSWER_TIMEOUT_S)
            raise AnswerLost("no answer")
        await asyncio.shield(delivery)
        ours = {o.user_def for o in orders}
        return [o for o in self._account.orders if o.user_def in ours][-len(orders) :]

    async def cancel(self, order_no: str) -> OrderState:
        raise NotSent("the model cancels nothing")

    async def modify_price(self, order_no: str, price_twd: Decimal) -> OrderState:
        raise NotSent("the model modifies nothing")

    async def modify_quantity(self, order_no: str, quantity: int) -> OrderState:
        raise NotSent("the model modifies nothing")

    async def order_results(self, user_def: str | None = None) -> list[OrderState]:
        return list(self._account.orders)

    async def fills(self) -> list[Fill]:
        return []

    async def events(self) -> AsyncIterator[OrderState | Fill]:
        return
        yield


async def _fire_and_maybe_crash(
    broker: ModelBroker, source: Path, journal: Path, crash_after_s: float | None
) -> bool:
    """Fire; crash it (cancel the task mid-run) after `crash_after_s`; say if it crashed."""
    options = FireOptions(
        journal=journal, max_request_age_s=AGE_S, grace_s=0.05, reconcile_timeout_s=5.0
    )
    run = asyncio.create_task(fire(source, broker, options))
    if crash_after_s is None:
        result = await run
        assert exit_code(result) in (0, 4), result.summary
        return False
    done, _ = await asyncio.wait({run}, timeout=crash_after_s)
    if done:
        return False
    run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run
    return True


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    schedule=st.lists(fates, min_size=1, max_size=12),
    crash_after_s=st.none() | st.sampled_from([0.0, 0.02, 0.2]),
    orders=st.integers(min_value=1, max_value=9),
)
@example(schedule=[Fate(refused=False, delay_s=0.0, answer_lost=False)], crash_after_s=0.0,
         orders=3)  # fmt: skip
def test_no_schedule_of_loss_lateness_and_crashes_places_an_intent_twice(
    schedule: list[Fate], crash_after_s: float | None, orders: int
) -> None:
    """Each intent is placed at most once, under any schedule; after a resume, exactly once."""

    async def scenario(folder: Path) -> None:
        account = ModelAccount(schedule)
        broker = ModelBroker(account)
        source = write_orders(folder / "orders.csv", orders)
        journal = folder / "run.sqlite"
        crashed = await _fire_and_maybe_crash(broker, source, journal, crash_after_s)
        if crashed and not journal.exists():
            # Crashed before its run was saved: nothing was sent, and no journal is left
            # to look like one whose run was lost. The user fires again.
            assert not account.orders
            crashed = await _fire_and_maybe_crash(broker, source, journal, None)
        if crashed or not _all_placed(account, orders):
            options = FireOptions(max_request_age_s=AGE_S, grace_s=0.05)
            result = await resume(journal, ModelBroker(account), options)
            assert exit_code(result) == 0, result.summary
        await account.settle()
        placed = Counter(o.user_def for o in account.orders)
        assert all(count == 1 for count in placed.values()), placed
        assert len(placed) == orders

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(scenario(Path(folder)))


def _all_placed(account: ModelAccount, orders: int) -> bool:
    return len({o.user_def for o in account.orders}) == orders
