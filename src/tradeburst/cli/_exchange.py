"""`tradeburst exchange`: serve the rehearsal exchange until Ctrl-C."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys
from decimal import Decimal
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tradeburst.cli._logging import configure_logging
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

_DOOR = DoorLimits()
"""The door's defaults, which the options show."""
MAX_SPEED = 10_000.0
"""Beyond this a second of real time is hours of exchange time; nothing to rehearse."""


def exchange_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8765,
    db: Annotated[
        str,
        typer.Option(
            help="SQLite file that keeps orders and fills across a kill and restart "
            "(default: in memory, gone when the exchange stops)."
        ),
    ] = ":memory:",
    api_key: Annotated[
        list[str] | None,
        typer.Option(
            "--api-key",
            help="An account's API key (repeat for more accounts); one is generated when absent.",
        ),
    ] = None,
    admin_key: Annotated[
        str | None, typer.Option(help="Key of the admin API; generated when absent.")
    ] = None,
    profile: Annotated[str, typer.Option(help=f"Broker limits: {', '.join(PROFILES)}.")] = "fubon",
    batch_counts_orders: Annotated[
        bool, typer.Option(help="A batch call also counts its orders toward the orders/s limit.")
    ] = False,
    clock: Annotated[
        str | None,
        typer.Option(help="Exchange time at start, HH:MM:SS Asia/Taipei (default: real time)."),
    ] = None,
    speed: Annotated[float, typer.Option(help="Exchange seconds per real second.")] = 1.0,
    always_open: Annotated[
        bool, typer.Option(help="Continuous trading all day, no auctions.")
    ] = False,
    latency_ms: Annotated[float, typer.Option(help="Base latency added to every answer.")] = 0.0,
    jitter_ms: Annotated[float, typer.Option(help="Random extra latency, up to this much.")] = 0.0,
    connect_delay_ms: Annotated[
        float, typer.Option(help="Added to the first request of every new connection.")
    ] = 0.0,
    error_rate: Annotated[
        float,
        typer.Option(help="Fraction of order actions refused before anything is placed (503)."),
    ] = 0.0,
    ambiguous_rate: Annotated[
        float, typer.Option(help="Fraction of order actions carried out whose answer is then lost.")
    ] = 0.0,
    reset_rate: Annotated[
        float,
        typer.Option(
            help="Fraction of order actions whose connection is reset before anything is placed."
        ),
    ] = 0.0,
    stall_rate: Annotated[
        float, typer.Option(help="Fraction of order actions answered only after --stall-ms.")
    ] = 0.0,
    stall_ms: Annotated[
        float, typer.Option(help="How long a stalled or lost answer is held.")
    ] = 1000.0,
    late_rate: Annotated[
        float,
        typer.Option(
            help="Fraction of order actions held for --late-ms before they are carried out, "
            "whatever their client does meanwhile."
        ),
    ] = 0.0,
    late_ms: Annotated[
        float, typer.Option(help="How long a late order action is held before it lands.")
    ] = 1000.0,
    header_timeout_s: Annotated[
        float, typer.Option(help="Time a new connection has to send its request headers.")
    ] = _DOOR.header_timeout_s,
    body_timeout_s: Annotated[
        float, typer.Option(help="Time a request has to send its body after its headers.")
    ] = _DOOR.body_timeout_s,
    connections_per_source: Annotated[
        int,
        typer.Option(min=1, help="Connections one source address may hold; more are closed."),
    ] = _DOOR.connections_per_source,
    seed: Annotated[
        int | None, typer.Option(help="Seed for faults, jitter, liquidity and auction ranking.")
    ] = None,
    liquidity: Annotated[
        bool, typer.Option(help="Seed background liquidity so books are two-sided.")
    ] = True,
    tick_above_1000: Annotated[
        str,
        typer.Option(help="Tick of shares priced at 1000 TWD and above (5 today; 1 is proposed)."),
    ] = "5",
    shm_feed: Annotated[
        str | None,
        typer.Option(
            help="Publish trades and best bid/ask into a shared-memory tick ring of this "
            "name, for a busy-poll reader (tradeburst.hotpath)."
        ),
    ] = None,
) -> None:
    """Run the rehearsal exchange: matching, auctions, broker limits, latency and faults."""
    if profile not in PROFILES:
        raise typer.BadParameter(
            f"{profile!r} is not one of {', '.join(PROFILES)}", param_hint="--profile"
        )
    for value, option in (
        (latency_ms, "--latency-ms"),
        (jitter_ms, "--jitter-ms"),
        (connect_delay_ms, "--connect-delay-ms"),
        (stall_ms, "--stall-ms"),
        (late_ms, "--late-ms"),
    ):
        non_negative(value, option)
    if not 0 < non_negative(speed, "--speed") <= MAX_SPEED:
        raise typer.BadParameter(
            f"must be more than 0 and at most {MAX_SPEED:g}", param_hint="--speed"
        )
    for value, option in (
        (header_timeout_s, "--header-timeout-s"),
        (body_timeout_s, "--body-timeout-s"),
    ):
        if not 0 < value < 3600:
            raise typer.BadParameter("must be more than 0 and under 3600", param_hint=option)
    keys = tuple(api_key or ())
    if any(not key for key in keys) or len(set(keys)) != len(keys):
        raise typer.BadParameter("keys must be distinct and not empty", param_hint="--api-key")
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
        liquidity=liquidity,
        stock_ladder=_stock_ladder(tick_above_1000),
        shm_feed=shm_feed,
        door=DoorLimits(
            header_timeout_s=header_timeout_s,
            body_timeout_s=body_timeout_s,
            connections_per_source=connections_per_source,
        ),
    )
    configure_logging()
    try:
        asyncio.run(_serve(config))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]cannot serve on {host}:{port}: {exc.strerror or exc}[/]"
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
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
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
