"""The rehearsal exchange as one object: `Exchange(config)` builds the market, store,
gateway and API, serves on a real socket, and runs the background work (phase changes,
trial matches, house liquidity). It is an async context manager; the CLI's `exchange`
command and every test fixture start the very same thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import warnings
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from aiohttp import web

from tradeburst.exchange._accounts import KeyRing, new_key
from tradeburst.exchange._app import ExchangeApp
from tradeburst.exchange._clock import Clock, SessionClock
from tradeburst.exchange._faults import FaultInjector, FaultRates
from tradeburst.exchange._gateway import Gateway, NetworkModel
from tradeburst.exchange._liquidity import Liquidity
from tradeburst.exchange._market import Market
from tradeburst.exchange._openapi import openapi_spec
from tradeburst.exchange._profiles import PROFILES
from tradeburst.exchange._store import Store
from tradeburst.exchange._symbols import load_symbols
from tradeburst.rules import Phase, from_cents

__all__ = ["Exchange", "ExchangeConfig"]

TRIAL_INTERVAL_S = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeConfig:
    host: str = "127.0.0.1"
    port: int = 0
    db: str = ":memory:"
    api_keys: tuple[str, ...] = ()
    admin_key: str | None = None
    profile: str = "fubon"
    batch_counts_orders: bool = False
    clock_start: time | None = None
    speed: float = 1.0
    always_open: bool = False
    network: NetworkModel = field(default_factory=NetworkModel)
    faults: FaultRates = field(default_factory=FaultRates)
    seed: int | None = None
    liquidity: bool = True

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")
        if self.speed <= 0:
            raise ValueError("speed must be positive")


class Exchange:
    def __init__(self, config: ExchangeConfig, *, clock: Clock | None = None) -> None:
        self.config = config
        self.api_keys = list(config.api_keys) or [new_key()]
        self.admin_key = config.admin_key or new_key()
        self.clock: Clock = clock or SessionClock(start=config.clock_start, speed=config.speed)
        seed = config.seed if config.seed is not None else random.randrange(2**32)
        self.seed = seed
        keys = KeyRing(self.api_keys)
        self.accounts = keys.accounts
        profile = PROFILES[config.profile]
        if config.batch_counts_orders:
            profile = dataclasses.replace(profile, batch_counts_orders=True)
        self.market = Market(
            load_symbols(), self.clock, always_open=config.always_open, rng=random.Random(seed)
        )
        self.store = Store(config.db)
        self.market.restore(*self.store.load())
        self.api = ExchangeApp(
            market=self.market,
            store=self.store,
            gateway=Gateway(
                keys=keys,
                admin_key=self.admin_key,
                clock=self.clock,
                network=config.network,
                connection_limit=profile.connections,
                rng=random.Random(seed + 1),
            ),
            profile=profile,
            faults=FaultInjector(config.faults, random.Random(seed + 2)),
            openapi=openapi_spec,
        )
        self._liquidity = (
            Liquidity(self.market, random.Random(seed + 3)) if config.liquidity else None
        )
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""
        self._closed = False

    async def start(self) -> None:
        app = self.api.build()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self.market.sync()
        if self._liquidity is not None:
            self._liquidity.seed()
            self.store.flush()
            self._spawn(self._liquidity.run())
        self._spawn(self._phase_changes())
        self._spawn(self._trial_matches())

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _phase_changes(self) -> None:
        while True:
            boundary = self.market.next_boundary_ns()
            if boundary is None:
                await asyncio.sleep(60)
            else:
                await self.clock.sleep_until(boundary)
            self.market.sync()
            self.store.flush()

    async def _trial_matches(self) -> None:
        """Publish what each auction would trade now, to the symbols someone watches."""
        while True:
            await asyncio.sleep(TRIAL_INTERVAL_S)
            if self.market.phase() not in (Phase.PRE_OPEN, Phase.CLOSING_CALL):
                continue
            now_ns = self.clock.now_ns()
            for symbol in self.api.feed.watched("trades"):
                price, volume = self.market.books[symbol].indicative()
                if price is not None:
                    self.api.feed.trial(symbol, from_cents(price), volume, now_ns)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._runner is not None:
            await self._runner.cleanup()
        self.store.close()

    async def __aenter__(self) -> Exchange:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True) and getattr(self, "_runner", None) is not None:
            warnings.warn(f"unclosed {self!r}", ResourceWarning, stacklevel=1)
