"""`tradeburst cancel-all`: the kill switch. Cancels every order still working on the
account, whoever placed it (any run, another program, the broker's app), or only those of
`--symbol` and `--side`, through the throttle; prints what it cancelled and what it could
not, with the reason; exits 0 only when a last look finds nothing left working (1 when
something is). `--dry-run` lists the orders it would cancel. `--json PATH` keeps the
outcome."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from tradeburst.account import working_figures
from tradeburst.brokers import AccountBroker
from tradeburst.cli._account_broker import account_broker, with_account
from tradeburst.cli._account_view import orders_table
from tradeburst.cli._brokers import (
    BrokerName,
    BrokerOption,
    FubonConfigOption,
    FubonTestOption,
    FubonTimeoutOption,
    FubonUrlOption,
)
from tradeburst.cli._options import DEFAULT_URL, ApiKey, ApiKeyFile, JsonPath, Profile, Url
from tradeburst.cli._options import profile_name as checked_profile
from tradeburst.cli._output import OUTPUT_FAILED, write_json
from tradeburst.cli._send import console
from tradeburst.cli._values import writable
from tradeburst.engine import CancelAttempt, CancelReport, cancel_all
from tradeburst.limits import PROFILES
from tradeburst.model import Side

__all__ = ["cancel_all_command", "print_cancel_report", "report_figures"]

LEFT_WORKING = 1
"""The exit code when orders are still working after the last look."""

Symbol = Annotated[str | None, typer.Option(help="Only the orders of this symbol.")]
SideOption = Annotated[Side | None, typer.Option("--side", help="Only Buy or only Sell orders.")]
ListOnly = Annotated[
    bool, typer.Option("--dry-run", help="List the working orders it would cancel; cancel none.")
]


def cancel_all_command(
    url: Url = DEFAULT_URL,
    api_key: ApiKey = None,
    api_key_file: ApiKeyFile = None,
    symbol: Symbol = None,
    side: SideOption = None,
    dry_run: ListOnly = False,
    profile: Profile = None,
    json_path: JsonPath = None,
    broker: BrokerOption = BrokerName.SIM,
    fubon_config: FubonConfigOption = None,
    fubon_test: FubonTestOption = False,
    fubon_url: FubonUrlOption = None,
    fubon_timeout_s: FubonTimeoutOption = None,
) -> None:
    """Cancel every working order of the account, whoever placed it: the kill switch.

    Exit 0 only when nothing is left working.
    """
    json_path = writable(json_path, "--json")
    chosen = checked_profile(profile)
    out = console()
    account = account_broker(
        out, name=broker, url=url, api_key=api_key, api_key_file=api_key_file,
        fubon_config=fubon_config, fubon_test=fubon_test, fubon_url=fubon_url,
        fubon_timeout_s=fubon_timeout_s,
    )  # fmt: skip

    async def work(connected: AccountBroker) -> CancelReport:
        limits = PROFILES[chosen] if chosen else None
        return await cancel_all(
            connected, symbol=symbol, side=side, profile=limits, dry_run=dry_run
        )

    report = with_account(account, work)
    print_cancel_report(out, report)
    code = 0 if dry_run or report.clear else LEFT_WORKING
    if not write_json(out, report_figures(report), json_path) and code == 0:
        code = OUTPUT_FAILED
    raise typer.Exit(code)


def print_cancel_report(out: Console, report: CancelReport) -> None:
    if report.dry_run:
        if not report.found:
            out.print("no working orders")
            return
        title = f"{len(report.found)} working orders (none cancelled: --dry-run)"
        out.print(orders_table(title, report.found))
        return
    cancelled, failed = report.cancelled, report.not_cancelled
    if cancelled:
        out.print(orders_table(f"cancelled {len(cancelled)}", [a.order for a in cancelled]))
    if failed:
        out.print(orders_table(f"not cancelled {len(failed)}", [a.order for a in failed],
                               [a.reason for a in failed]))  # fmt: skip
    if report.left:
        out.print(orders_table(f"[red]still working {len(report.left)}[/]", report.left))
    elif not report.found:
        out.print("no working orders: nothing to cancel")
    else:
        out.print("nothing left working")


def _attempt(attempt: CancelAttempt) -> dict[str, Any]:
    return {**working_figures(attempt.order), "reason": attempt.reason}


def report_figures(report: CancelReport) -> dict[str, Any]:
    """The outcome as JSON: `found`, `cancelled`, `not_cancelled` (with `reason`), `left`."""
    return {
        "dry_run": report.dry_run,
        "found": [working_figures(o) for o in report.found],
        "cancelled": [_attempt(a) for a in report.cancelled],
        "not_cancelled": [_attempt(a) for a in report.not_cancelled],
        "left": [working_figures(o) for o in report.left],
    }
