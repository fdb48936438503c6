"""`tradeburst exchange`: serve the rehearsal exchange until Ctrl-C."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from decimal import Decimal

import typer
from rich.console import Console
from rich.markup import escape

from tradeburst._platform import run_loop
from tradeburst.cli._exchange_options import (
    DOOR,
    AdminKeyOption,
    AlwaysOpen,
    AmbiguousRate,
    ApiKeys,
    BatchCountsOrders,
    BodyTimeoutS,
    ConnectDelayMs,
    ConnectionsPerSource,
    Db,
    ErrorRate,
    HeaderTimeoutS,
    Host,
    JitterMs,
    LateMs,
    LatencyMs,
    LateRate,
    NoLiquidity,
    Port,
    ProfileName,
    ResetRate,
    Seed,
    ShmFeed,
    Speed,
    StallMs,
    StallRate,
    StartClock,
    TickAbove1000,
)
from tradeburst.cli._logging import configure_logging
from tradeburst.cli._signals import on_stop_signals
from tradeburst.cli._values import non_negative, parse_clock, rate, tick
from tradeburst.exchange import (
    PROFILES,
    DoorLimits,
    Exchange,
    ExchangeConfig,
    ExchangeError,
    FaultRates,
    NetworkModel,
    load_symbols,
)
from tradeburst.rules import STOCK_TICKS, TickLadder

__all__ = ["exchange_command"]

MAX_SPEED = 10_000.0
"""Beyond this a second of real time is hours of exchange time; nothing to rehearse."""
MAX_DOOR_TIMEOUT_S = 3600.0
MAX_PORT = 65535


def exchange_command(
    host: Host = "127.0.0.1",
    port: Port = 8765,
    db: Db = ":memory:",
    api_key: ApiKeys = None,
    admin_key: AdminKeyOption = None,
    profile: ProfileName = "fubon",
    batch_counts_orders: BatchCountsOrders = False,
    clock: StartClock = None,
    speed: Speed = 1.0,
    always_open: AlwaysOpen = False,
    latency_ms: LatencyMs = 0.0,
    jitter_ms: JitterMs = 0.0,
    connect_delay_ms: ConnectDelayMs = 0.0,
    error_rate: ErrorRate = 0.0,
    ambiguous_rate: AmbiguousRate = 0.0,
    reset_rate: ResetRate = 0.0,
    stall_rate: StallRate = 0.0,
    stall_ms: StallMs = 1000.0,
    late_rate: LateRate = 0.0,
    late_ms: LateMs = 1000.0,
    header_timeout_s: HeaderTimeoutS = DOOR.header_timeout_s,
    body_timeout_s: BodyTimeoutS = DOOR.body_timeout_s,
    connections_per_source: ConnectionsPerSource = DOOR.connections_per_source,
    seed: Seed = None,
    no_liquidity: NoLiquidity = False,
    tick_above_1000: TickAbove1000 = "5",
    shm_feed: ShmFeed = None,
) -> None:
    """Run the rehearsal exchange: matching, auctions, broker limits, latency and faults."""
    if not 0 <= port <= MAX_PORT:
        raise typer.BadParameter(f"{port} is not a port from 0 to {MAX_PORT}", param_hint="--port")
    _check_profile(profile)
    for value, option in (
        (latency_ms, "--latency-ms"),
        (jitter_ms, "--jitter-ms"),
        (connect_delay_ms, "--connect-delay-ms"),
        (stall_ms, "--stall-ms"),
        (late_ms, "--late-ms"),
    ):
        non_negative(value, option)
    _check_speed(speed)
    door = _door(header_timeout_s, body_timeout_s, connections_per_source)
    keys = _keys(api_key)
    config = ExchangeConfig(
        host=host,
        port=port,
        db=db,
        api_keys=keys,
        admin_key=admin_key,
        profile=profile,
        batch_counts_orders=batch_counts_orders,
        clock_start=parse_clock(clock),
        speed=speed,
        always_open=always_open,
        network=NetworkModel(
            latency_ms=latency_ms, jitter_ms=jitter_ms, connect_delay_ms=connect_delay_ms
        ),
        faults=dataclasses.replace(
            _fault_rates(error_rate, ambiguous_rate, reset_rate, stall_rate, stall_ms),
            late=rate(late_rate, "--late-rate"),
            late_ms=late_ms,
        ),
        seed=seed,
        liquidity=not no_liquidity,
        stock_ladder=_stock_ladder(tick_above_1000),
        shm_feed=shm_feed,
        door=door,
    )
    configure_logging()
    _serve_until_stopped(config)


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise typer.BadParameter(
            f"{profile!r} is not one of {', '.join(PROFILES)}", param_hint="--profile"
        )


def _check_speed(speed: float) -> None:
    if not 0 < non_negative(speed, "--speed") <= MAX_SPEED:
        raise typer.BadParameter(
            f"must be more than 0 and at most {MAX_SPEED:g}", param_hint="--speed"
        )


def _door(header_timeout_s: float, body_timeout_s: float, connections: int) -> DoorLimits:
    """The door's limits, each timeout more than 0 and under an hour."""
    for value, option in (
        (header_timeout_s, "--header-timeout-s"),
        (body_timeout_s, "--body-timeout-s"),
    ):
        if not 0 < value < MAX_DOOR_TIMEOUT_S:
            raise typer.BadParameter("must be more than 0 and under 3600", param_hint=option)
    return DoorLimits(
        header_timeout_s=header_timeout_s,
        body_timeout_s=body_timeout_s,
        connections_per_source=connections,
    )


def _keys(api_key: list[str] | None) -> tuple[str, ...]:
    keys = tuple(api_key or ())
    if any(not key for key in keys) or len(set(keys)) != len(keys):
        raise typer.BadParameter("keys must be distinct and not empty", param_hint="--api-key")
    return keys


def _serve_until_stopped(config: ExchangeConfig) -> None:
    """Serve until Ctrl-C or SIGTERM; a port or database it cannot use is exit 2."""
    try:
        run_loop(_serve(config))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]cannot serve on {config.host}:{config.port}: {exc.strerror or exc}[/]"
        )
        raise typer.Exit(2) from None
    except ExchangeError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]{escape(str(exc))}[/]", emoji=False)
        raise typer.Exit(2) from None


def _stock_ladder(tick_above_1000: str) -> TickLadder:
    """The share ladder with this tick above 1000, if every listed reference is on it."""
    ladder = STOCK_TICKS.with_tick(Decimal(1000), tick(tick_above_1000, "--tick-above-1000"))
    try:
        load_symbols(ladder)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tick-above-1000") from None
    return ladder


def _fault_rates(
    error: float, ambiguous: float, reset: float, stall: float, stall_ms: float
) -> FaultRates:
    rates = {
        "--error-rate": rate(error, "--error-rate"),
        "--ambiguous-rate": rate(ambiguous, "--ambiguous-rate"),
        "--reset-rate": rate(reset, "--reset-rate"),
        "--stall-rate": rate(stall, "--stall-rate"),
    }
    if sum(rates.values()) > 1:
        raise typer.BadParameter(
            "the fault rates add up to more than 1", param_hint=", ".join(rates)
        )
    return FaultRates(error=error, ambiguous=ambiguous, reset=reset, stall=stall, stall_ms=stall_ms)


async def _serve(config: ExchangeConfig) -> None:
    console = Console(highlight=False, soft_wrap=True)
    stop = asyncio.Event()
    on_stop_signals(stop.set)
    async with Exchange(config) as exchange:
        console.print(f"tradeburst exchange listening on {exchange.url}")
        clock = config.clock_start.isoformat() if config.clock_start else "real time"
        console.print(
            f"  profile {config.profile} · clock {clock} Asia/Taipei · speed {config.speed}x"
            f" · seed {exchange.seed} · db {config.db}"
        )
        for account, key in zip(exchange.accounts, exchange.api_keys, strict=True):
            console.print(f"  account {account.account}  api key {key}")
        console.print(f"  admin key {exchange.admin_key}")
        if config.shm_feed:
            console.print(f"  market data in shared-memory ring {config.shm_feed}")
        console.print("  Ctrl-C stops it.")
        sys.stdout.flush()
        await stop.wait()
    console.print("exchange stopped")
