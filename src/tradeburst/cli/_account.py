"""`tradeburst account`: the account at a glance. Positions (shares, average cost, last
price, unrealised profit), working orders, today's fills with their fee and tax, and the
day's profit in TWD, as tables, or as JSON with `--json PATH` (`-` for standard output:
the JSON alone). `--watch` keeps it up to date from the account's event stream until
Ctrl-C (exit 0; 1 if the stream closes first); with `--json -` it prints one JSON document
a line per refresh."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from tradeburst.account import AccountSnapshot, snapshot_figures, take
from tradeburst.brokers import AccountBroker
from tradeburst.cli._account_broker import account_broker, with_account
from tradeburst.cli._account_view import snapshot_view
from tradeburst.cli._brokers import (
    BrokerName,
    BrokerOption,
    FubonConfigOption,
    FubonTestOption,
    FubonTimeoutOption,
    FubonUrlOption,
)
from tradeburst.cli._options import DEFAULT_URL, ApiKey, ApiKeyFile, Url
from tradeburst.cli._output import OUTPUT_FAILED, write_json
from tradeburst.cli._send import console
from tradeburst.cli._values import writable
from tradeburst.engine import Throttle
from tradeburst.rules import DEFAULT_FEE_RATE, DEFAULT_SELL_TAX, Costs

__all__ = ["account_command"]

SETTLE_S = 0.2
"""After an event, how long to wait for the rest of its burst before asking again."""
STDOUT = Path("-")
STREAM_ENDED = 1
"""The exit code of a watch whose account stream closed (the exchange stopped, say)."""

FeeRate = Annotated[str, typer.Option(help="The broker's fee on each fill's value.")]
FeeDiscount = Annotated[
    str, typer.Option(help="The share of the fee paid after the broker's discount (0.28: 2.8折).")
]
SellTax = Annotated[str, typer.Option(help="The securities transaction tax on sells.")]
JsonOut = Annotated[
    Path | None, typer.Option("--json", help="Write the figures here as JSON (-: print them).")
]
Watch = Annotated[bool, typer.Option("--watch", help="Refresh on every order or fill event.")]


def account_command(
    url: Url = DEFAULT_URL,
    api_key: ApiKey = None,
    api_key_file: ApiKeyFile = None,
    fee_rate: FeeRate = str(DEFAULT_FEE_RATE),
    fee_discount: FeeDiscount = "1",
    sell_tax: SellTax = str(DEFAULT_SELL_TAX),
    json_path: JsonOut = None,
    watch: Watch = False,
    broker: BrokerOption = BrokerName.SIM,
    fubon_config: FubonConfigOption = None,
    fubon_test: FubonTestOption = False,
    fubon_url: FubonUrlOption = None,
    fubon_timeout_s: FubonTimeoutOption = None,
) -> None:
    """Positions, working orders, today's fills and the day's profit in TWD."""
    costs = _costs(fee_rate, fee_discount, sell_tax)
    to_stdout = json_path == STDOUT
    if json_path is not None and not to_stdout:
        json_path = writable(json_path, "--json")
    out = console()
    # With the JSON on standard output, what the broker setup says goes to stderr.
    account = account_broker(
        Console(stderr=True) if to_stdout else out, name=broker, url=url, api_key=api_key,
        api_key_file=api_key_file, fubon_config=fubon_config, fubon_test=fubon_test,
        fubon_url=fubon_url, fubon_timeout_s=fubon_timeout_s,
    )  # fmt: skip

    def show(snapshot: AccountSnapshot) -> bool:
        figures = snapshot_figures(snapshot)
        if to_stdout:
            print(json.dumps(figures, separators=(",", ":") if watch else None,
                             indent=None if watch else 2), flush=True)  # fmt: skip
            return True
        return write_json(out, figures, json_path) if json_path is not None else True

    if not watch:
        snapshot = with_account(account, lambda b: take(b, costs))
        if not to_stdout:
            out.print(snapshot_view(snapshot))
        raise typer.Exit(0 if show(snapshot) else OUTPUT_FAILED)
    # Ctrl-C is how a watch ends (exit 0); returning means the account stream ended.
    tables = None if to_stdout else out
    with_account(account, lambda b: _watch(b, costs, tables, show), interrupted=0)
    raise typer.Exit(STREAM_ENDED)


def _costs(fee_rate: str, fee_discount: str, sell_tax: str) -> Costs:
    values = {}
    for name, text in (("fee_rate", fee_rate), ("fee_discount", fee_discount),
                       ("sell_tax", sell_tax)):  # fmt: skip
        option = "--" + name.replace("_", "-")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise typer.BadParameter(f"{text!r} is not a number", param_hint=option) from None
        if not value.is_finite() or not 0 <= value <= 1:
            raise typer.BadParameter(f"{text} must be between 0 and 1", param_hint=option)
        values[name] = value
    return Costs(**values)


async def _watch(
    broker: AccountBroker,
    costs: Costs,
    tables: Console | None,
    show: Callable[[AccountSnapshot], bool],
) -> None:
    """Show the account, then again after each burst of events, until the stream ends:
    `show` the figures, and the tables on `tables`, redrawn in place on a terminal and
    printed one after another anywhere else (a file, a pipe)."""
    throttle = Throttle(broker.profile)
    changed = asyncio.Event()

    async def listen() -> None:
        async for _ in broker.events():
            changed.set()

    listener = asyncio.create_task(listen())
    view = Live(console=tables, auto_refresh=False) if tables and tables.is_terminal else None
    try:
        with view if view is not None else contextlib.nullcontext():
            while True:
                snapshot = await take(broker, costs, throttle=throttle)
                show(snapshot)
                drawn = Group(_heading(snapshot), snapshot_view(snapshot))
                if view is not None:
                    view.update(drawn, refresh=True)
                elif tables is not None:
                    tables.print(drawn)
                waiting = asyncio.ensure_future(changed.wait())
                await asyncio.wait({waiting, listener}, return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
                if listener.done():
                    break
                await asyncio.sleep(SETTLE_S)
                changed.clear()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listener
    error = listener.exception() if not listener.cancelled() else None
    print(f"the account stream ended{f': {error}' if error else ''}", file=sys.stderr)


def _heading(snapshot: AccountSnapshot) -> Table:
    table = Table.grid()
    table.add_row(f"watching {snapshot.broker} account {snapshot.account} (Ctrl-C stops)")
    return table
