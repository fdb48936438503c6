"""`tradeburst run STRATEGIES.toml`: every strategy of the file on one account, sharing
its budget fairly, with a live table per strategy, a final table, the JSON summary (with
`strategies`) and the engine's exit codes (plus 1 when a strategy failed). `--exchange`
runs against an embedded rehearsal exchange started for the run, as `demo` does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tradeburst._bounded_run import cancel_within
from tradeburst._platform import run_loop
from tradeburst.brokers import Broker, BrokerError, SimBroker
from tradeburst.cli._brokers import (
    BrokerChoice,
    BrokerName,
    BrokerOption,
    FubonConfigOption,
    FubonKeepSdkLogOption,
    FubonTestOption,
    FubonTimeoutOption,
    FubonUnblockOption,
    FubonUrlOption,
    build_broker,
    connect_unless_stopped,
)
from tradeburst.cli._keys import read_api_key
from tradeburst.cli._kill_switch import KillSwitchFile, checked_kill_switch, guarded
from tradeburst.cli._logging import configure_logging
from tradeburst.cli._options import (
    DEFAULT_COLLAR_PCT,
    DEFAULT_GRACE_MS,
    DEFAULT_URL,
    ApiKey,
    ApiKeyFile,
    BatchSize,
    Concurrency,
    GraceMs,
    JournalPath,
    JsonPath,
    MaxNotional,
    MaxOrders,
    MaxQty,
    MaxRequestAge,
    MaxRunNotional,
    MaxRunQty,
    PriceCollarPct,
    Profile,
    ReleaseOption,
    SharedThrottle,
    Url,
    checked_url,
    grace_s,
    profile_name,
    request_age_s,
    risk_limits,
    shared_throttle,
)
from tradeburst.cli._output import OUTPUT_FAILED, keep_summary
from tradeburst.cli._problems import exit_with_problems
from tradeburst.cli._run_view import StrategiesView, print_run_outcome, run_exit_code
from tradeburst.cli._signals import on_stop_signals
from tradeburst.cli._values import non_negative, parse_clock, writable
from tradeburst.engine import (
    DEFAULT_MAX_ORDERS,
    FireOptions,
    InputProblem,
    InvalidInput,
    JournalError,
    ThrottleLost,
    ThrottleUnreachable,
    run_of,
)
from tradeburst.exchange import Exchange, ExchangeConfig
from tradeburst.marketdata import open_feed
from tradeburst.strategies import RunConfig, RunResult, read_config, run_strategies

__all__ = ["run_command"]

DEFAULT_EXCHANGE_CLOCK = "09:30:00"

Strategies = Annotated[Path, typer.Argument(help="The strategies file (TOML).", show_default=False)]
Embedded = Annotated[
    bool, typer.Option("--exchange", help="Start an embedded rehearsal exchange for the run.")
]
ExchangeClock = Annotated[str, typer.Option(help="With --exchange: its exchange time at start.")]
Seed = Annotated[int, typer.Option(help="With --exchange: its seed.")]
Feed = Annotated[
    str | None, typer.Option(help="Market data: websocket, or poll (overrides the file).")
]
PollIntervalMs = Annotated[float | None, typer.Option(help="Polling interval (default 100 ms).")]

Run = Callable[[asyncio.Event], Awaitable[RunResult]]
"""The strategies run on their broker, given the stop event."""


def run_command(
    strategies: Strategies,
    url: Url = DEFAULT_URL,
    api_key: ApiKey = None,
    api_key_file: ApiKeyFile = None,
    exchange: Embedded = False,
    clock: ExchangeClock = DEFAULT_EXCHANGE_CLOCK,
    seed: Seed = 7,
    profile: Profile = None,
    throttle: SharedThrottle = None,
    journal: JournalPath = None,
    json_path: JsonPath = None,
    concurrency: Concurrency = None,
    batch_size: BatchSize = None,
    feed: Feed = None,
    poll_interval_ms: PollIntervalMs = None,
    max_orders: MaxOrders = DEFAULT_MAX_ORDERS,
    max_qty: MaxQty = None,
    max_notional: MaxNotional = None,
    max_run_qty: MaxRunQty = None,
    max_run_notional: MaxRunNotional = None,
    price_collar_pct: PriceCollarPct = DEFAULT_COLLAR_PCT,
    grace_ms: GraceMs = DEFAULT_GRACE_MS,
    release: ReleaseOption = None,
    max_request_age: MaxRequestAge = None,
    broker: BrokerOption = BrokerName.SIM,
    fubon_config: FubonConfigOption = None,
    fubon_test: FubonTestOption = False,
    fubon_unblock: FubonUnblockOption = False,
    fubon_url: FubonUrlOption = None,
    fubon_timeout_s: FubonTimeoutOption = None,
    fubon_keep_sdk_log: FubonKeepSdkLogOption = None,
    kill_switch_file: KillSwitchFile = None,
) -> None:
    """Run every strategy of STRATEGIES on one account, sharing its budget by weight.

    One loop, one throttle shared by weight, a reserve for cancels; a strategy that fails is
    stopped, the others go on.
    """
    json_path, poll_s = writable(json_path, "--json"), _poll_s(feed, poll_interval_ms)
    start_at = parse_clock(clock)
    options = FireOptions(
        profile=profile_name(profile), throttle=shared_throttle(throttle), journal=journal,
        concurrency=concurrency, max_batch=batch_size,
        risk=risk_limits(
            max_orders, max_qty, max_notional, max_run_qty, max_run_notional, price_collar_pct
        ),
        grace_s=grace_s(grace_ms),
        release=release,
        max_request_age_s=request_age_s(max_request_age),
    )  # fmt: skip
    error = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        config = read_config(strategies, max_rows=max_orders)
    except InvalidInput as exc:
        exit_with_problems(error, exc)
    out = Console(highlight=False, soft_wrap=True)
    run: Run
    if broker is BrokerName.FUBON:
        if exchange:
            raise typer.BadParameter("--exchange is the rehearsal exchange", param_hint="--broker")
        choice = BrokerChoice(
            name=broker, fubon_config=fubon_config, fubon_test=fubon_test,
            fubon_unblock=fubon_unblock, fubon_url=fubon_url, fubon_timeout_s=fubon_timeout_s,
            fubon_keep_sdk_log=fubon_keep_sdk_log, concurrency=concurrency,
        )  # fmt: skip
        run = partial(_run_fubon, config, build_broker(choice, out), options, console=out)
    elif exchange:
        embedded = ExchangeConfig(profile=profile or "fubon", clock_start=start_at, seed=seed)
        run = partial(_run_embedded, config, embedded, clock, options, feed, poll_s, console=out)
    else:
        key, target = read_api_key(api_key, api_key_file), checked_url(url)
        run = partial(_run, config, target, key, options, feed, poll_s, console=out)
    configure_logging()
    result = _until_done(partial(run, kill_switch=checked_kill_switch(kill_switch_file)), error)
    print_run_outcome(out, result, f"run: {strategies}")
    code = run_exit_code(result)
    if not keep_summary(out, result.summary, json_path) and code == 0:
        code = OUTPUT_FAILED
    raise typer.Exit(code)


def _poll_s(feed: str | None, poll_interval_ms: float | None) -> float | None:
    """--feed and --poll-interval-ms checked; the interval in seconds."""
    if feed is not None and feed not in ("websocket", "poll"):
        raise typer.BadParameter("must be websocket or poll", param_hint="--feed")
    if poll_interval_ms is None:
        return None
    if non_negative(poll_interval_ms, "--poll-interval-ms") <= 0:
        raise typer.BadParameter("must be positive", param_hint="--poll-interval-ms")
    return poll_interval_ms / 1000


def _until_done(run: Run, error: Console) -> RunResult:
    """`run` in one event loop, Ctrl-C or SIGTERM setting its stop event (a second one
    stops waiting: exit 130); the errors a user can cause become a message and exit 2."""

    async def main() -> RunResult:
        stop = asyncio.Event()
        current = asyncio.current_task()

        def interrupt() -> None:
            if stop.is_set() and current is not None:
                cancel_within(current)
            stop.set()

        on_stop_signals(interrupt)
        return await run(stop)

    try:
        return run_loop(main())
    except InvalidInput as exc:
        exit_with_problems(error, exc)
    except (JournalError, BrokerError) as exc:
        error.print(f"[red]{escape(str(exc))}[/]", emoji=False)
        raise typer.Exit(2) from None
    except ThrottleUnreachable as exc:  # nothing was sent
        error.print(f"[red]{escape(str(exc))}; nothing sent[/]", emoji=False)
        raise typer.Exit(2) from None
    except ThrottleLost as exc:
        error.print(f"[red]{escape(str(exc))}[/]", emoji=False)
        raise typer.Exit(4) from None
    except (KeyboardInterrupt, asyncio.CancelledError):  # a second Ctrl-C, or one in a login
        raise typer.Exit(130) from None


async def _run_fubon(
    config: RunConfig,
    broker: Broker,
    options: FireOptions,
    stop: asyncio.Event,
    console: Console,
    kill_switch: Path | None = None,
) -> RunResult:
    """On a Fubon account the strategies get no market data: Fubon's market-data API is not
    wired in, so a strategy that watches symbols is refused before anything is sent."""
    watching = [s.name for s in config.strategies if s.symbols and s.kind == "python"]
    if watching:
        problem = InputProblem(
            path=str(config.path),
            line=None,
            reason=f"strategies {', '.join(watching)} watch market data, which --broker fubon "
            "does not provide yet",
        )
        raise InvalidInput([problem])
    try:
        await connect_unless_stopped(broker, stop, console)  # a login Ctrl-C can end
        with StrategiesView(console) as view:
            return await guarded(
                kill_switch, stop, broker, console,
                lambda: run_strategies(config, broker, options, stop=stop, watch=view.watch),
                _run_id,
            )  # fmt: skip
    finally:
        await broker.aclose()


async def _run_embedded(
    config: RunConfig,
    exchange: ExchangeConfig,
    clock: str,
    options: FireOptions,
    feed: str | None,
    poll_s: float | None,
    stop: asyncio.Event,
    console: Console,
    kill_switch: Path | None = None,
) -> RunResult:
    """The strategies against a rehearsal exchange started for the run."""
    async with Exchange(exchange) as embedded:
        console.print(f"rehearsal exchange at {embedded.url}, exchange time {clock}")
        return await _run(
            config, embedded.url, embedded.api_keys[0], options, feed, poll_s, stop, console,
            kill_switch,
        )  # fmt: skip


async def _run(
    config: RunConfig,
    url: str,
    key: str,
    options: FireOptions,
    feed: str | None,
    poll_s: float | None,
    stop: asyncio.Event,
    console: Console,
    kill_switch: Path | None = None,
) -> RunResult:
    polling = (feed or config.feed) == "poll"
    interval_s = poll_s or config.poll_interval_s
    connections = options.concurrency
    if connections is None and any(s.kind != "batches" for s in config.strategies):
        # The market-data stream is a connection of the account too: leave it one.
        async with SimBroker(url, key) as probe:
            connections = max(1, probe.capabilities.connections - 1)
    broker = SimBroker(url, key, connections=connections)
    try:
        with StrategiesView(console) as view:
            return await guarded(
                kill_switch, stop, broker, console,
                lambda: run_strategies(
                    config, broker, options, stop=stop, watch=view.watch,
                    feed=lambda symbols: open_feed(
                        url, key, symbols, poll_interval_s=interval_s if polling else None
                    ),
                ),
                _run_id,
            )  # fmt: skip
    finally:
        await broker.aclose()


def _run_id(result: RunResult) -> str | None:
    """The run's id, from any of its client order ids (None if it placed nothing)."""
    return next((run_of(i.user_def) for s in result.slots for i in s.intents), None)
