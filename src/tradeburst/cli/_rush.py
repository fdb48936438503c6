"""`tradeburst rush ORDERS --at TIME`: send a batch at an exact exchange time. Everything is
checked, journaled, built and connected ahead; the first order leaves at `--at`, never
before, then the rest as fast as the limits allow. On the rehearsal exchange `--admin-key`
also reads the exchange's receive stamps, so the fire error is measured on its clock too.
It takes `fire`'s options but not its manual pacing: a rush is never paced."""

from __future__ import annotations

import asyncio

from tradeburst.brokers import exchange_receipts
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
from tradeburst.cli._rush_options import RANDOM_RANKING_NOTE, AdminKey, At, parse_at
from tradeburst.cli._send import Watch, console, send_and_finish
from tradeburst.cli._values import writable
from tradeburst.engine import DEFAULT_MAX_ORDERS, FireOptions, FireResult, rush

__all__ = ["RUSH_HELP", "rush_command"]

RUSH_HELP = (
    "Send ORDERS at an exact exchange time, --at, never before.\n\n"
    "Everything is checked, journaled, built and connected ahead, and the first order "
    f"leaves at --at. {RANDOM_RANKING_NOTE}"
)


def rush_command(
    orders: Orders,
    at: At,
    url: Url = DEFAULT_URL,
    api_key: ApiKey = None,
    api_key_file: ApiKeyFile = None,
    admin_key: AdminKey = None,
    profile: Profile = None,
    throttle: SharedThrottle = None,
    journal: JournalPath = None,
    json_path: JsonPath = None,
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
    """`tradeburst rush`; its help is RUSH_HELP, which adds TWSE's opening rule."""
    json_path = writable(json_path, "--json")
    target = parse_at(at)
    kill_switch = checked_kill_switch(kill_switch_file)
    options = FireOptions(
        profile=profile_name(profile), throttle=shared_throttle(throttle), journal=journal,
        concurrency=concurrency, max_batch=batch_size,
        risk=risk_limits(
            max_orders, max_qty, max_notional, max_run_qty, max_run_notional, price_collar_pct
        ),
        grace_s=grace_s(grace_ms), release=release, headroom_s=headroom_s(headroom_ms),
        max_request_age_s=request_age_s(max_request_age),
        cancel_on_abort=cancel_on_abort,
        thresholds=thresholds(realtime_ms, delayed_ms),
        again=again,
    )  # fmt: skip
    out = console()
    sim_url = checked_url(url) if broker is BrokerName.SIM else None
    choice = BrokerChoice(
        name=broker, url=sim_url, api_key=api_key, api_key_file=api_key_file,
        concurrency=concurrency, fubon_config=fubon_config, fubon_test=fubon_test,
        fubon_unblock=fubon_unblock, fubon_url=fubon_url, fubon_timeout_s=fubon_timeout_s,
        fubon_keep_sdk_log=fubon_keep_sdk_log,
    )  # fmt: skip
    chosen = build_broker(choice, out)
    receipts = exchange_receipts(sim_url, admin_key) if sim_url and admin_key else None
    configure_logging()
    out.print(f"[dim]{RANDOM_RANKING_NOTE}[/]")

    async def send(stop: asyncio.Event, watch: Watch | None) -> FireResult:
        return await guarded(
            kill_switch, stop, chosen, out,
            lambda: rush(
                orders, chosen, options, target, dry_run=dry_run, receipts=receipts, stop=stop,
                watch=watch, notify=out.print,
            ),
            lambda result: result.run_id,
        )  # fmt: skip

    send_and_finish(
        out, chosen, send, login_first=broker is BrokerName.FUBON, live=not dry_run,
        json_path=json_path,
    )  # fmt: skip
