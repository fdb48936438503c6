"""What `batch30_ms` of `tradeburst bench exchange` times: how long the exchange takes over
one batch of 30 orders once its body is decoded, in-process, through the very methods the
batch handler calls: each order checked, placed and matched in the market, every listener
told (streams, the Fugle tape), the commit to a file store awaited as the handler's answer
awaits it (one commit round of the event loop; the store's checkpoint runs in its worker
thread, and a commit due meanwhile waits for it, which the tail shows), and the answer
encoded. Half the orders buy and half sell at one price, so every other order trades, as in
the HTTP rounds. What HTTP adds (reading, routing, the middleware) is what
`http_vs_bare_ratio` measures beside a bare handler."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

import msgspec

from tradeburst.exchange._accounts import Account, KeyRing
from tradeburst.exchange._app import ExchangeApp
from tradeburst.exchange._clock import SessionClock
from tradeburst.exchange._faults import FaultInjector, FaultRates
from tradeburst.exchange._gateway import Gateway, NetworkModel
from tradeburst.exchange._market import Market
from tradeburst.exchange._profiles import PROFILES
from tradeburst.exchange._store import Store
from tradeburst.exchange._symbols import load_symbols
from tradeburst.wire import BatchBody

__all__ = ["BATCH_ORDERS", "time_batches"]

BATCH_ORDERS = 30


def _batch_bytes() -> bytes:
    orders = [
        {"symbol": "2891", "buy_sell": side, "quantity": 1000, "price": "40.60"}
        for index in range(BATCH_ORDERS)
        for side in (("Buy", "Sell")[index % 2],)
    ]
    return msgspec.json.encode({"orders": orders})


def _app(clock: SessionClock, db: Path) -> ExchangeApp:
    market = Market(load_symbols(), clock, always_open=True, rng=random.Random(1))
    app = ExchangeApp(
        market=market,
        store=Store(db),
        gateway=Gateway(
            keys=KeyRing(["bench-key"]),
            admin_key="bench-admin",
            clock=clock,
            network=NetworkModel(),
            connection_limit=None,
            rng=random.Random(2),
        ),
        profile=PROFILES["none"],
        broker_clock=clock,
        faults=FaultInjector(FaultRates(), random.Random(3), random.Random(4)),
        openapi=dict,
        body_timeout_s=10.0,
    )
    app.build()  # attaches the Fugle tape, a listener of every trade as when serving
    return app


async def time_batches(batches: int) -> list[float]:
    """Milliseconds of each of `batches` batches, timed alone, after 20 to warm up."""
    raw = _batch_bytes()
    decode = msgspec.json.Decoder(BatchBody).decode
    encode = msgspec.json.Encoder().encode
    account = Account("BENCH")
    clock = SessionClock()
    with tempfile.TemporaryDirectory() as folder:
        app = _app(clock, Path(folder) / "batch.db")
        try:
            took_ms: list[float] = []
            for index in range(batches + 20):
                body = decode(raw)
                started = time.perf_counter()
                checked = app.check_batch(body)
                envelope = app.place_checked(account, checked, clock.now_ns())
                await app.store.committed()
                encode(envelope)
                if index >= 20:
                    took_ms.append((time.perf_counter() - started) * 1000)
        finally:
            app.store.close()
    return took_ms
