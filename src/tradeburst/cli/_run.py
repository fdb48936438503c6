"""`tradeburst run STRATEGIES.toml`: every strategy of the file on one account, sharing
its budget fairly, with a live table per strategy, a final table, the JSON summary (with
`strategies`) and DESIGN.md's exit codes (plus 1 when a strategy failed). `--exchange`
runs against an embedded rehearsal exchange started for the run, as `demo` does."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

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
)
from tradeburst.cli._fire import (
    DEFAULT_URL,
    ApiKey,
    ApiKeyFile,
    Concurrency,
    GraceMs,
    JsonPath,
    MaxRequestAge,
    Profile,
    Url,
    _grace_s,
    _profile,
    _risk,
    _url,
    exit_with_problems,
    request_age_s,
)
from tradeburst.cli._keys import read_api_key
from tradeburst.cli._logging import configure_logging
from tradeburst.cli._options import non_negative, parse_clock, writable
from tradeburst.cli._output import OUTPUT_FAILED, keep_summary
from tradeburst.cli._run_view import StrategiesView, strategies_table
from tradeburst.engine import (
    DEFAULT_GRACE_S,
    DEFAULT_MAX_ORDERS,
    DEFAULT_PRICE_COLLAR_PCT,
    FireOptions,
    InputProblem,
    InvalidInput,
    JournalError,
)
from tradeburst.exchange import Exchange, ExchangeConfig
from tradeburst.marketdata import open_feed
from tradeburst.report import print_rejections
from tradeburst.strategies import RunConfig, RunResult, read_config, run_strategies

__all__ = ["run_command"]

DEFAULT_EXCHANGE_CLOCK = "09:30:00"


def run_command(
    strategies: Annotated[
        Path, typer.Argument(help="The strategies file (TOML).", show_default=False)
    ],
    url: Url = DEFAULT_URL,
    api_key: ApiKey = None,
    api_key_file: ApiKeyFile = None,
    exchange: Annotated[
        bool,
        typer.Option("--exchange", help="Start an embedded rehearsal exchange for the run."),
    ] = False,
    clock: Annotated[
        str, typer.Option(help="With --exchange: its exchange time at start.")
    ] = DEFAULT_EXCHANGE_CLOCK,
    seed: Annotated[int, typer.Option(help="With --exchange: its seed.")] = 7,
    profile: Profile = None,
    journal: Annotated[
        Path | None, typer.Option(help="Journal file (default: journal/DAY-RUNID.sqlite).")
    ] = None,
    json_path: JsonPath = None,
    concurrency: Concurrency = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Orders per batch call (1: single orders only).")
    ] = None,
    feed: Annotated[
        str | None, typer.Option(help="Market data: websocket, or poll (overrides the file).")
    ] = None,
    poll_interval_ms: Annotated[
        float | None, typer.Option(help="Polling interval (default 100 ms, the guide's).")
    ] = None,
    max_orders: Annotated[int, typer.Option(min=1, help="Most orders in the run.")] = (
        DEFAULT_MAX_ORDERS
    ),
    max_qty: Annotated[int | None, typer.Option(min=1, help="Most shares in one order.")] = None,
    max_notional: Annotated[str | None, typer.Option(help="Most TWD in one order.")] = None,
    max_run_qty: Annotated[int | None, typer.Option(min=1, help="Most shares in the run.")] = None,
    max_run_notional: Annotated[str | None, typer.Option(help="Most TWD in the run.")] = None,
    price_collar_pct: Annotated[
        str, typer.Option(help="Farthest a limit price may be from the reference, in %.")
    ] = str(DEFAULT_PRICE_COLLAR_PCT),
    grace_ms: GraceMs = DEFAULT_GRACE_S * 1000,
    max_request_age: MaxRequestAge = None,
    broker: BrokerOption = BrokerName.SIM,
    fubon_config: FubonConfigOption = None,
    fubon_test: FubonTestOption = False,
    fubon_unblock: FubonUnblockOption = False,
    fubon_url: FubonUrlOption = None,
    fubon_timeout_s: FubonTimeoutOption = None,
    fubon_keep_sdk_log: FubonKeepSdkLogOption = None,
) -> None:
    """Run every strategy of STRATEGIES on one account: one loop, one throttle shared by
    weight, a reserve for cancels; a strategy that fails is stopped, the others go on."""
    json_path = writable(json_path, "--json")
    if feed is not None and feed not in ("websocket", "poll"):
        raise typer.BadParameter("must be websocket or poll", param_hint="--feed")
    poll_s = None
    if poll_interval_ms is not None:
        if non_negative(poll_interval_ms, "--poll-interval-ms") <= 0:
            raise typer.BadParameter("must be positive", param_hint="--poll-interval-ms")
        poll_s = poll_interval_ms / 1000
    start_at = parse_clock(clock)
    options = FireOptions(
        profile=_profile(profile),
        journal=journal,
        concurrency=concurrency,
        max_batch=batch_size,
        risk=_risk(
            max_orders, max_qty, max_notional, max_run_qty, max_run_notional, price_collar_pct
        ),
        grace_s=_grace_s(grace_ms),
        max_request_age_s=request_age_s(max_request_age),
    )
    error = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        config = read_config(strategies, max_rows=max_orders)
    except InvalidInput as exc:
        exit_with_problems(error, exc)
    console = Console(highlight=False, soft_wrap=True)
    fubon: Broker | None = None
    if broker is BrokerName.FUBON:
        if exchange:
            raise typer.BadParameter("--exchange is the rehearsal exchange", param_hint="--broker")
        fubon = build_broker(
            BrokerChoice(
                name=broker,
                fubon_config=fubon_config,
                fubon_test=fubon_test,
                fubon_unblock=fubon_unblock,
                fubon_url=fubon_url,
                fubon_timeout_s=fubon_timeout_s,
                fubon_keep_sdk_log=fubon_keep_sdk_log,
                concurrency=concurrency,
            ),
            console,
        )
        key = target = ""
    else:
        key = "" if exchange else read_api_key(api_key, api_key_file)
        target = "" if exchange else _url(url)
    configure_logging()

    async def main() -> RunResult:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
        if fubon is not None:
            return await _run_fubon(config, fubon, options, stop, console)
        if not exchange:
            return await _run(config, target, key, options, feed, poll_s, stop, console)
        embedded = Exchange(
            ExchangeConfig(profile=profile or "fubon", clock_start=start_at, seed=seed)
        )
        async with embedded:
            console.print(f"rehearsal exchange at {embedded.url}, exchange time {clock}")
            return await _run(
                config, embedded.url, embedded.api_keys[0], options, feed, poll_s, stop, console
            )

    try:
        result = asyncio.run(main())
    except InvalidInput as exc:
        exit_with_problems(error, exc)
    except (JournalError, BrokerError) as exc:
        error.print(f"[red]{escape(str(exc))}[/]", emoji=False)
        raise typer.Exit(2) from None
    console.print(strategies_table(result.slots, f"run: {strategies}"))
    print_rejections(console, result.summary.rejections)
    for slot in result.slots:
        if slot.error:
            console.print(f"[red]{slot.name} failed and was stopped: {slot.error}[/]")
    summary = result.summary
    orders = summary.orders
    refusals = summary.rate_limit_rejections
    console.print(
        f"{_counted(orders.total, 'order')}: {orders.accepted} accepted, "
        f"{orders.rejected} rejected, {orders.unknown} unknown, {orders.not_sent} not sent; "
        f"{_counted(refusals, 'rate-limit refusal')}; "
        f"latency p50 {summary.latency_ms.p50:.1f} ms, p99 {summary.latency_ms.p99:.1f} ms"
    )
    for slot in result.slots:
        if slot.time_up:
            console.print(
                f"[yellow]{slot.name}: its duration_s ran out; "
                f"{_counted(slot.counts().not_sent, 'order')} it queued were not sent[/]"
            )
    console.print(f"journal: {result.journal}")
    if orders.unknown or orders.not_sent or result.interrupted:
        console.print(
            f"[yellow]not finished: run `tradeburst resume --journal {result.journal}` "
            "to settle the unknown and send what was not sent[/]"
        )
    code = _exit_code(result)
    if not keep_summary(console, summary, json_path) and code == 0:
        code = OUTPUT_FAILED
    raise typer.Exit(code)


async def _run_fubon(
    config: RunConfig, broker: Broker, options: FireOptions, stop: asyncio.Event, console: Console
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
        with StrategiesView(console) as view:
            return await run_strategies(config, broker, options, stop=stop, watch=view.watch)
    finally:
        await broker.aclose()


async def _run(
    config: RunConfig,
    url: str,
    key: str,
    options: FireOptions,
    feed: str | None,
    poll_s: float | None,
    stop: asyncio.Event,
    console: Console,
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
            return await run_strategies(
                config,
                broker,
                options,
                feed=lambda symbols: open_feed(
                    url, key, symbols, poll_interval_s=interval_s if polling else None
                ),
                stop=stop,
                watch=view.watch,
            )
    finally:
        await broker.aclose()


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _exit_code(result: RunResult) -> int:
    orders = result.summary.orders
    if result.interrupted:
        return 130
    if orders.unknown or orders.not_sent:
        return 4
    if orders.rejected:
        return 3
    if any(slot.state == "failed" for slot in result.slots):
        return 1
    return 0
