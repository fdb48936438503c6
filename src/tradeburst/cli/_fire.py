"""`tradeburst fire ORDERS`: send a batch through the engine as fast as the broker's limits
allow, with a live view, a final table, the JSON summary and the engine's exit codes.
`--broker` picks the broker (`cli/_brokers.py`): the rehearsal exchange, with its API key
from `--api-key-file` (0600), `TRADEBURST_API_KEY` or `--api-key`, or a Fubon account.
Only `fire` paces by hand (`--chunk-size`, `--delay-ms`); secrets are never printed."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

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
from tradeburst.cli._kill_switch import KillSwitchFile, checked_kill_switch, guarded
from tradeburst.cli._logging import configure_logging
from tradeburst.cli._options import (
    DEFAULT_COLLAR_PCT,
    DEFAULT_DELAYED_MS,
    DEFAULT_GRACE_MS,
    DEFAULT_HEADROOM_MS,
    DEFAULT_REALTIME_MS,
    DEFAULT_URL,
    Again,
    ApiKey,
    ApiKeyFile,
    BatchSize,
    CancelOnAbort,
    Concurrency,
    DelayedMs,
    DryRun,
    GraceMs,
    HeadroomMs,
    JournalPath,
    JsonPath,
    MaxNotional,
    MaxOrders,
    MaxQty,
    MaxRequestAge,
    MaxRunNotional,
    MaxRunQty,
    Orders,
    PriceCollarPct,
    Profile,
    RealtimeMs,
    ReleaseOption,
    SharedThrottle,
    Url,
    checked_url,
    grace_s,
    headroom_s,
    profile_name,
    request_age_s,
    risk_limits,
    shared_throttle,
    thresholds,
)
from tradeburst.cli._send import Watch, console, send_and_finish
from tradeburst.cli._values import wait_ms, writable
from tradeburst.clock import format_wait
from tradeburst.engine import DEFAULT_MAX_ORDERS, FireOptions, FireResult, ManualPacing, fire

__all__ = ["fire_command"]

ChunkSize = Annotated[
    int | None,
    typer.Option(min=1, help="Manual pacing: single orders in chunks of N (needs --delay-ms)."),
]
DelayMs = Annotated[
    float | None, typer.Option(help="Manual pacing: the wait between chunks (needs --chunk-size).")
]


def fire_command(
    orders: Orders,
    url: Url = DEFAULT_URL,
    api_key: ApiKey = None,
    api_key_file: ApiKeyFile = None,
    profile: Profile = None,
    throttle: SharedThrottle = None,
    journal: JournalPath = None,
    json_path: JsonPath = None,
    chunk_size: ChunkSize = None,
    delay_ms: DelayMs = None,
    concurrency: Concurrency = None,
    batch_size: BatchSize = None,
    dry_run: DryRun = False,
    again: Again = False,
    max_orders: MaxOrders = DEFAULT_MAX_ORDERS,
    max_qty: MaxQty = None,
    max_notional: MaxNotional = None,
    max_run_qty: MaxRunQty = None,
    max_run_notional: MaxRunNotional = None,
    price_collar_pct: PriceCollarPct = DEFAULT_COLLAR_PCT,
    grace_ms: GraceMs = DEFAULT_GRACE_MS,
    release: ReleaseOption = None,
    headroom_ms: HeadroomMs = DEFAULT_HEADROOM_MS,
    max_request_age: MaxRequestAge = None,
    cancel_on_abort: CancelOnAbort = False,
    realtime_ms: RealtimeMs = DEFAULT_REALTIME_MS,
    delayed_ms: DelayedMs = DEFAULT_DELAYED_MS,
    broker: BrokerOption = BrokerName.SIM,
    fubon_config: FubonConfigOption = None,
    fubon_test: FubonTestOption = False,
    fubon_unblock: FubonUnblockOption = False,
    fubon_url: FubonUrlOption = None,
    fubon_timeout_s: FubonTimeoutOption = None,
    fubon_keep_sdk_log: FubonKeepSdkLogOption = None,
    kill_switch_file: KillSwitchFile = None,
) -> None:
    """Send every order of ORDERS as fast as the broker's limits allow, each one once.

    None is lost, and nothing is sent if any order is wrong.
    """
    json_path = writable(json_path, "--json")
    kill_switch = checked_kill_switch(kill_switch_file)
    options = FireOptions(
        profile=profile_name(profile), throttle=shared_throttle(throttle), journal=journal,
        concurrency=concurrency, max_batch=batch_size, pacing=_pacing(chunk_size, delay_ms),
        risk=risk_limits(
            max_orders, max_qty, max_notional, max_run_qty, max_run_notional, price_collar_pct
        ),
        grace_s=grace_s(grace_ms),
        release=release,
        headroom_s=headroom_s(headroom_ms),
        max_request_age_s=request_age_s(max_request_age),
        cancel_on_abort=cancel_on_abort,
        thresholds=thresholds(realtime_ms, delayed_ms),
        again=again,
    )  # fmt: skip
    out = console()
    choice = BrokerChoice(
        name=broker, url=checked_url(url) if broker is BrokerName.SIM else None,
        api_key=api_key, api_key_file=api_key_file, concurrency=concurrency,
        fubon_config=fubon_config, fubon_test=fubon_test, fubon_unblock=fubon_unblock,
        fubon_url=fubon_url, fubon_timeout_s=fubon_timeout_s,
        fubon_keep_sdk_log=fubon_keep_sdk_log,
    )  # fmt: skip
    chosen = build_broker(choice, out)
    configure_logging()
    _say_pacing(out, options.pacing)

    async def send(stop: asyncio.Event, watch: Watch | None) -> FireResult:
        return await guarded(
            kill_switch, stop, chosen, out,
            lambda: fire(orders, chosen, options, dry_run=dry_run, stop=stop, watch=watch),
            lambda result: result.run_id,
        )  # fmt: skip

    send_and_finish(
        out, chosen, send, login_first=broker is BrokerName.FUBON, live=not dry_run,
        json_path=json_path,
    )  # fmt: skip


def _pacing(chunk_size: int | None, delay_ms: float | None) -> ManualPacing | None:
    """--chunk-size with --delay-ms, both or neither."""
    if chunk_size is None and delay_ms is None:
        return None
    if chunk_size is None or delay_ms is None:
        raise typer.BadParameter("give both or neither", param_hint="--chunk-size, --delay-ms")
    return ManualPacing(chunk_size=chunk_size, delay_s=wait_ms(delay_ms, "--delay-ms") / 1000)


def _say_pacing(out: Console, pacing: ManualPacing | None) -> None:
    """A slow pace is said up front, so a long quiet run is not taken for a hang."""
    if pacing is not None and pacing.delay_s >= 1:
        out.print(
            f"paced: chunks of {pacing.chunk_size} orders, waiting "
            f"{format_wait(pacing.delay_s)} between chunks"
        )
