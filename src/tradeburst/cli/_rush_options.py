"""What `rush` adds to `fire`'s options: the target time, the latency classification's
thresholds, the exchange's receive stamps read through its admin API, and the one TWSE
rule every rusher must know."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time as time_of_day

import aiohttp
import msgspec
import typer

from tradeburst.cli._options import non_negative
from tradeburst.engine import Receipts
from tradeburst.summary import LatencyThresholds

__all__ = [
    "DEFAULT_DELAYED_MS",
    "DEFAULT_REALTIME_MS",
    "RANDOM_RANKING_NOTE",
    "exchange_receipts",
    "parse_at",
    "thresholds",
]

DEFAULT_REALTIME_MS = LatencyThresholds().realtime_ms
DEFAULT_DELAYED_MS = LatencyThresholds().delayed_ms

RANDOM_RANKING_NOTE = (
    "TWSE ranks same-price orders entered before the 09:00 open at random: racing before "
    "09:00 buys no queue place. After 09:00, time priority counts."
)


def parse_at(value: str) -> time_of_day:
    """HH:MM:SS or HH:MM:SS.ffffff, a time of day."""
    try:
        parsed = time_of_day.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or value.count(":") != 2 or parsed.tzinfo is not None:
        raise typer.BadParameter(
            f"{value!r} is not a time like 09:00:00 or 09:00:00.250000", param_hint="--at"
        )
    return parsed


def thresholds(realtime_ms: float, delayed_ms: float) -> LatencyThresholds:
    non_negative(realtime_ms, "--realtime-ms")
    if not realtime_ms < delayed_ms:
        raise typer.BadParameter(
            f"must be above --realtime-ms ({realtime_ms:g})", param_hint="--delayed-ms"
        )
    return LatencyThresholds(realtime_ms=realtime_ms, delayed_ms=delayed_ms)


class _AdminOrder(msgspec.Struct):
    user_def: str | None
    received_ns: int


class _AdminOrders(msgspec.Struct):
    orders: list[_AdminOrder]


def exchange_receipts(url: str, admin_key: str) -> Receipts:
    """Reads the rehearsal exchange's receive stamps of orders, by client order id."""

    async def read(user_defs: Sequence[str]) -> dict[str, int]:
        wanted = set(user_defs)
        headers = {"Authorization": f"Bearer {admin_key}"}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            session.get(f"{url.rstrip('/')}/v1/admin/orders", headers=headers) as response,
        ):
            response.raise_for_status()
            answer = msgspec.json.decode(await response.read(), type=_AdminOrders)
        return {o.user_def: o.received_ns for o in answer.orders if o.user_def in wanted}

    return read
