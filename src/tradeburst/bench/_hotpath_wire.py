"""Tick → order on the wire, end to end: the rehearsal exchange publishes its trades into a
tick ring (`--shm-feed`); a busy-poll consumer in another process decides on each trade
and sends a pre-built `POST /v1/orders` on a warm keep-alive socket to that exchange. The
figure is the consumer's clock after `send` returned (the kernel holds the bytes) minus
the exchange's stamp as it published the trade. Trades come from a driver placing
crossing pairs; the consumer's orders rest far from them, so they never trade themselves."""

from __future__ import annotations

import asyncio
import time
from array import array
from multiprocessing.connection import Connection

import aiohttp

from tradeburst.bench._hotpath_ends import Outcome, parent_alive
from tradeburst.hotpath import BusyPollConsumer, Kind, OrderWire, RingReader, Tick

__all__ = ["drive_trades", "wire_consumer"]

SYMBOL = "2891"
TRADE_PRICE = "40.60"
RESTING_PRICE = "40.00"
DRIVER_PAUSE_S = 0.002
_ROUND_S = 0.5
_PAUSE_S = 0.1


def wire_consumer(
    name: str, url: str, key: str, samples: int, cpu: int, realtime: bool, out: Connection
) -> None:
    reader = RingReader.attach(name)
    orders: list[dict[str, object]] = [
        {
            "symbol": SYMBOL,
            "buy_sell": "Buy",
            "quantity": 1000,
            "price": RESTING_PRICE,
            "user_def": f"HP{index:08d}",
        }
        for index in range(samples)
    ]
    latencies = array("q")
    refused = 0
    with OrderWire(url, key, orders) as wire:
        out.send("ready")

        def decide(tick: Tick) -> None:
            nonlocal refused
            if tick.kind != Kind.TRADE:
                return
            latencies.append(wire.fire() - tick.stamp_ns)
            status, _ = wire.answer()
            refused += status != 200
            if not wire.remaining:
                consumer.stop()

        consumer = BusyPollConsumer(reader, decide, cpu=cpu, realtime=realtime)
        notes: list[str] = []
        while wire.remaining and parent_alive():
            report = consumer.run(timeout_s=_ROUND_S, fresh=True)
            notes.extend(n for n in report.notes if n not in notes)
            time.sleep(_PAUSE_S)
    reader.close()
    notes.append(f"wire: {len(latencies)} orders sent, {refused} refused")
    out.send(Outcome(latencies.tobytes(), notes, report.realtime))


async def drive_trades(url: str, key: str, done: asyncio.Event) -> int:
    """Place crossing pairs until `done`; how many trades that made."""
    headers = {"Authorization": f"Bearer {key}"}
    trades = 0
    async with aiohttp.ClientSession(headers=headers) as session:
        while not done.is_set():
            for side in ("Sell", "Buy"):
                body = {"symbol": SYMBOL, "buy_sell": side, "quantity": 1000, "price": TRADE_PRICE}
                async with session.post(url + "/v1/orders", json=body) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"benchmark order refused: HTTP {response.status}")
            trades += 1
            await asyncio.sleep(DRIVER_PAUSE_S)
    return trades
