"""`tradeburst account`: the account at a glance. Positions (shares, average cost, last
price, unrealised profit), working orders, today's fills with their fee and tax, and the
day's profit in TWD, as tables, or as JSON with `--json PATH` (`-` for standard output:
the JSON alone). `--watch` keeps it up to date from the account's event stream until
Ctrl-C or SIGTERM (exit 0; 1 if the stream closes first); with `--json -` it prints one JSON
document a line per refresh. The watch takes both signals itself, as every long-running
command does, so it stops even when started with Ctrl-C ignored (a shell's background job
is), and gives the stream `STREAM_CLOSE_S` to close."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, TypeVar

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
from tradeburst.cli._signals import on_stop_signals
from tradeburst.cli._values import writable
from tradeburst.engine import Throttle
from tradeburst.rules import DEFAULT_FEE_RATE, DEFAULT_SELL_TAX, Costs

__all__ = ["account_command"]

T = TypeVar("T")

SETTLE_S = 0.2
"""After an event, how long to wait for the rest of its burst before asking again."""
STDOUT = Path("-")
STREAM_ENDED = 1
"""The exit code of a watch whose account stream closed (the exchange stopped, say)."""
STREAM_CLOSE_S = 10.0
"""How long a stopped watch waits for the account stream to close before leaving it."""

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
    # Ctrl-C or SIGTERM is how a watch ends (exit 0); else the account stream ended.
    tables = None if to_stdout else out
    stopped = with_account(account, lambda b: _watch(b, costs, tables, show), interrupted=0)
    raise typer.Exit(0 if stopped else STREAM_ENDED)


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
) -> bool:
    """Show the account, then again after each burst of events, until Ctrl-C or SIGTERM
    (True) or the stream's end (False): `show` the figures, and the tables on `tables`,
    redrawn in place on a terminal and printed one after another anywhere else."""
    throttle = Throttle(broker.profile)
    changed, stop = asyncio.Event(), asyncio.Event()
    on_stop_signals(stop.set)

    async def listen() -> None:
        async for _ in broker.events():
            changed.set()

    listener = asyncio.create_task(listen())
    stopping = asyncio.create_task(stop.wait())
    view = Live(console=tables, auto_refresh=False) if tables and tables.is_terminal else None
    try:
        with view if view is not None else contextlib.nullcontext():
            while not stop.is_set():
                snapshot = await _unless_stopped(take(broker, costs, throttle=throttle), stop)
                if snapshot is None:
                    break
                show(snapshot)
                drawn = Group(_heading(snapshot), snapshot_view(snapshot))
                if view is not None:
                    view.update(drawn, refresh=True)
                elif tables is not None:
                    tables.print(drawn)
                waiting = asyncio.ensure_future(changed.wait())
                await asyncio.wait(
                    {waiting, listener, stopping}, return_when=asyncio.FIRST_COMPLETED
                )
                waiting.cancel()
                if listener.done():
                    break
                await _unless_stopped(asyncio.sleep(SETTLE_S), stop)
                changed.clear()
    finally:
        stopping.cancel()
        await _closed(listener)
    if stop.is_set():
        return True
    error = listener.exception() if not listener.cancelled() else None
    print(f"the account stream ended{f': {error}' if error else ''}", file=sys.stderr)
    return False


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """`work`'s result, or None (`work` cancelled) if `stop` is set first."""
    doing = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({doing, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if doing.done():
        return doing.result()
    doing.cancel()
    await asyncio.wait({doing})
    return None


async def _closed(listener: asyncio.Task[None]) -> None:
    """Cancel the stream's listener and wait for its socket to close, `STREAM_CLOSE_S` at
    most: a stream that does not close is left, said in one line."""
    listener.cancel()
    await asyncio.wait({listener}, timeout=STREAM_CLOSE_S)
    if not listener.done():
        print(f"the account stream did not close within {STREAM_CLOSE_S:g} s; left open",
              file=sys.stderr)  # fmt: skip


def _heading(snapshot: AccountSnapshot) -> Table:
    table = Table.grid()
    table.add_row(f"watching {snapshot.broker} account {snapshot.account} (Ctrl-C stops)")
    return table
