"""Picking a run id is bounded: with a broken random tail every candidate is taken, and
`fresh_run_id` gives up with a clear problem instead of spinning for ever without
awaiting (which no `asyncio.timeout` could stop)."""

from __future__ import annotations

import pytest

from tradeburst.brokers import SimBroker
from tradeburst.engine import InvalidInput, Throttle, _ids
from tradeburst.engine._session import fresh_run_id
from tradeburst.exchange import Exchange

from _support import Api, order

SLOT_NS = 2 * 10**9


async def test_a_run_id_that_is_always_taken_is_given_up_on(
    exchange: Exchange, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_ids.secrets, "choice", lambda digits: digits[0])
    status, now = await api.get("/v1/time")
    assert status == 200
    day_ns = now["exchange_time_ns"] % (86_400 * 10**9) + 8 * 3600 * 10**9  # Taipei is +8
    for k in range(-1, 30):  # every slot the test could start in, taken
        user_def = _ids.client_order_id(_ids.new_run_id(day_ns + k * SLOT_NS), 0)
        status, _ = await api.post("/v1/orders", order(user_def=user_def))
        assert status == 200
    async with SimBroker(exchange.url, api.headers["Authorization"][7:]) as broker:
        throttle = Throttle(broker.profile)
        with pytest.raises(InvalidInput, match="no unused run id after 100 tries"):
            await fresh_run_id(broker, throttle)
