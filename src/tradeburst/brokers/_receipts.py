"""The rehearsal exchange's receive stamps, read through its admin API: when each order
reached the exchange, on the exchange's own clock. A rush compares them with its target to
tell its fire error without trusting our clock. Real brokers have no such API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import aiohttp
import msgspec

from tradeburst.wire import AdminOrders

__all__ = ["exchange_receipts"]


def exchange_receipts(
    url: str, admin_key: str
) -> Callable[[Sequence[str]], Awaitable[dict[str, int]]]:
    """A reader of the receive stamps (ns) of the orders named by client order id."""

    async def read(user_defs: Sequence[str]) -> dict[str, int]:
        wanted = set(user_defs)
        headers = {"Authorization": f"Bearer {admin_key}"}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            session.get(f"{url.rstrip('/')}/v1/admin/orders", headers=headers) as response,
        ):
            response.raise_for_status()
            answer = msgspec.json.decode(await response.read(), type=AdminOrders)
        return {o.user_def: o.received_ns for o in answer.orders if o.user_def in wanted}

    return read
