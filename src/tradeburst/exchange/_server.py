"""The rehearsal exchange as one object: `Exchange(config)` builds the market, store,
gateway and API, serves on a real socket, and runs the background work (phase changes,
trial matches, house liquidity). It is an async context manager; the CLI's `exchange`
command and every test fixture start the very same thing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import random
import sqlite3
import warnings
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tradeburst._platform import shm_path
from tradeburst.errors import TradeburstError
from tradeburst.exchange._accounts import KeyRing, new_key
from tradeburst.exchange._app import ExchangeApp
from tradeburst.exchange._arrival import ArrivalClock
from tradeburst.exchange._clock import Clock, SessionClock
from tradeburst.exchange._door import DoorLimits, GuardedSite
from tradeburst.exchange._faults import FaultInjector, FaultRates
from tradeburst.exchange._gateway import Gateway, NetworkModel
from tradeburst.exchange._liquidity import Liquidity
from tradeburst.exchange._market import Market
from tradeburst.exchange._openapi import openapi_spec
from tradeburst.exchange._profiles import PROFILES, CountedStamps
from tradeburst.exchange._store import Store
from tradeburst.exchange._symbols import load_symbols
from tradeburst.rules import STOCK_TICKS, Phase, TickLadder, from_cents

if TYPE_CHECKING:
    from tradeburst.exchange._ring_feed import RingFeed

__all__ = ["Exchange", "ExchangeConfig", "ExchangeError"]

log = logging.getLogger(__name__)

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
    stock_ladder: TickLadder = STOCK_TICKS
    shm_feed: str | None = None
    """Name of a shared-memory tick ring to create and publish market data into."""
    door: DoorLimits = field(default_factory=DoorLimits)
    """Header and body timeouts and connections per source address."""
    counted: CountedStamps = field(default_factory=CountedStamps)
    """How order actions' answers report the stamp the rate limit counted them by: its
    resolution, and a lie (tests)."""

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")
        if not 0 < self.speed < math.inf:
            raise ValueError("speed must be a positive number")


class ExchangeError(TradeburstError, ValueError):
    """The exchange cannot start as configured; the message says what to change."""


class Exchange:
    """The rehearsal exchange. `clock` is the session clock (time of day, auctions);
    `broker_clock` times the broker's rate windows and defaults to real time, so a sped-up
    session clock never loosens the limits. A test that injects `clock` moves both. At
    speed 1 the session clock is the rate clock, and answers report the stamps it counts
    requests by; a sped-up exchange reports none (they would be on no clock a client can
    read)."""

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        clock: Clock | None = None,
        broker_clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.api_keys = list(config.api_keys) or [new_key()]
        self.admin_key = config.admin_key or new_key()
        self.clock: Clock = clock or SessionClock(start=config.clock_start, speed=config.speed)
        real_time = self.clock if config.speed == 1.0 else SessionClock()
        self.broker_clock: Clock = broker_clock or clock or real_time
        self.seed = config.seed if config.seed is not None else random.randrange(2**32)
        self._keys = KeyRing(self.api_keys)
        self.accounts = self._keys.accounts
        self.profile = PROFILES[config.profile]
        if config.batch_counts_orders:
            self.profile = dataclasses.replace(self.profile, batch_counts_orders=True)
        self.market = Market(
            load_symbols(config.stock_ladder),
            self.clock,
            always_open=config.always_open,
            rng=random.Random(self.seed),
        )
        self.url = ""
        self._store: Store | None = None
        self._ring_feed: RingFeed | None = None
        self._runner: web.AppRunner | None = None
        self._site: GuardedSite | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def start(self) -> None:
        """Open the store, restore today's book, serve, and start the background work."""
        self._store = store = self._open_store()
        arrival_clock = ArrivalClock(self.clock, self.broker_clock)
        self.api = ExchangeApp(
            market=self.market,
            store=store,
            gateway=Gateway(
                keys=self._keys,
                admin_key=self.admin_key,
                clock=self.clock,
                network=self.config.network,
                connection_limit=self.profile.connections,
                rng=random.Random(self.seed + 1),
                arrival_clock=arrival_clock,
            ),
            profile=self.profile,
            broker_clock=self.broker_clock,
            faults=FaultInjector(
                self.config.faults, random.Random(self.seed + 2), random.Random(self.seed + 4)
            ),
            openapi=openapi_spec,
            body_timeout_s=self.config.door.body_timeout_s,
            counted=self.config.counted if self.broker_clock is self.clock else None,
        )
        if self.config.shm_feed:
            try:
                self._open_ring_feed(self.config.shm_feed)
            except ExchangeError:
                await self.aclose()
                raise
        # A request whose bytes arrived is carried out even if its client leaves (aiohttp's
        # default, pinned here): a broker does not undo an order because the line dropped.
        self._runner = web.AppRunner(
            self.api.build(), access_log=None, handle_signals=False, handler_cancellation=False
        )
        await self._runner.setup()
        try:
            self._site = GuardedSite(
                self._runner, self.config.host, self.config.port, self.config.door, arrival_clock
            )
            await self._site.start()
        except OSError:
            await self.aclose()
            raise
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self.market.sync()
        store.flush()
        if self.config.liquidity:
            liquidity = Liquidity(self.market, random.Random(self.seed + 3), after_step=store.flush)
            liquidity.open_books()
            store.flush()
            self._spawn(liquidity.run())
        self._spawn(self._phase_changes(store))
        self._spawn(self._trial_matches())

    def _open_store(self) -> Store:
        try:
            store = Store(self.config.db)
            records, fills = store.load()
        except sqlite3.Error as exc:
            raise ExchangeError(f"cannot use db {self.config.db}: {exc}") from None
        synced_ns = store.synced_ns()
        latest_ns = max(
            [r.received_ns for r in records] + [f.filled_ns for f in fills] + [synced_ns or 0]
        )
        if latest_ns > self.clock.now_ns():
            store.close()
            raise ExchangeError(
                f"db {self.config.db} holds orders, fills or phase changes later than the "
                "exchange's start time; "
                "the clock cannot go back over a stored day: use a new db or :memory:"
            )
        self.market.restore(records, fills, synced_ns)
        return store

    def _open_ring_feed(self, name: str) -> None:
        # Imported here: only --shm-feed needs the hot path's shared-memory ring.
        from tradeburst.exchange._ring_feed import RingFeed

        try:
            self._ring_feed = RingFeed(name, lambda symbol: self.market.books[symbol].depth(1))
        except (FileExistsError, ValueError, OSError) as exc:
            detail = (
                (
                    f"it exists already (another exchange uses it, or one was killed: remove "
                    f"{shm_path(name)})"
                )
                if isinstance(exc, FileExistsError)
                else str(exc)
            )
            raise ExchangeError(f"cannot create shm_feed {name}: {detail}") from None
        self.market.listeners.append(self._ring_feed)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("exchange background task failed", exc_info=task.exception())

    async def _phase_changes(self, store: Store) -> None:
        while True:
            boundary = self.market.next_boundary_ns()
            if boundary is None:
                return
            await self.clock.sleep_until(boundary)
            self.market.sync()
            store.flush()

    async def _trial_matches(self) -> None:
        """Publish what each auction would trade now: to the `/v1/marketdata` symbols
        someone watches, and every symbol's to the Fugle tape (its quotes show the last)."""
        while True:
            await asyncio.sleep(TRIAL_INTERVAL_S)
            if self.market.phase() not in (Phase.PRE_OPEN, Phase.CLOSING_CALL):
                continue
            now_ns = self.clock.now_ns()
            watched = set(self.api.feed.watched("trades"))
            for symbol, book in self.market.books.items():
                price, volume = book.indicative()
                if price is None:
                    continue
                if symbol in watched:
                    self.api.feed.trial(symbol, from_cents(price), volume, now_ns)
                self.api.fugle.trial(symbol, from_cents(price), volume, now_ns)

    async def aclose(self) -> None:
        """Stop serving, stop the background work, and close the store. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._runner is not None:
            self.api.holds.release()  # else the stop waits for every held request
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._store is not None:
            self._store.close()
        if self._ring_feed is not None:
            self._ring_feed.close()

    @property
    def connections_open(self) -> int:
        """Connections held open now, from every source."""
        return sum(self._site.door.open.values()) if self._site is not None else 0

    async def __aenter__(self) -> Exchange:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True) and getattr(self, "_store", None) is not None:
            warnings.warn(f"unclosed {self!r}", ResourceWarning, stacklevel=1)
