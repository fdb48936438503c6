"""`--kill-switch-file PATH` for `fire`, `rush` and `run`: when PATH appears (`touch PATH`,
from another terminal, a script or a monitoring job), sending stops as on Ctrl-C, the orders in
flight are settled, and then every order of this run that is still working is cancelled
through the kill switch (`cancel-all` limited to the run's client order ids). Orders of
other runs, and orders placed outside tradeburst, are left alone: `tradeburst cancel-all`
is the account-wide switch. The file is looked for every `POLL_S`; a file already there
at the start is refused, before anything is sent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tradeburst.brokers import AccountBroker, Broker, BrokerError
from tradeburst.cli._cancel_all import print_cancel_report
from tradeburst.engine import cancel_all

__all__ = ["POLL_S", "KillSwitchFile", "checked_kill_switch", "guarded"]

R = TypeVar("R")

POLL_S = 0.05
"""How often the file is looked for: a stat call, cheap beside a run's own work."""

KillSwitchFile = Annotated[
    Path | None,
    typer.Option(
        "--kill-switch-file",
        help="When this file appears, stop sending and cancel this run's open orders.",
    ),
]


def checked_kill_switch(path: Path | None) -> Path | None:
    """A kill-switch file that is not there yet (one already there would stop at once)."""
    if path is not None and path.exists():
        raise typer.BadParameter(
            f"{path} is already there: remove it first", param_hint="--kill-switch-file"
        )
    return path


async def guarded(
    path: Path | None,
    stop: asyncio.Event,
    broker: Broker,
    out: Console,
    send: Callable[[], Awaitable[R]],
    run_id_of: Callable[[R], str | None],
) -> R:
    """`send()`, stopped by `stop` when `path` appears; then the run's open orders are
    cancelled (the broker is still open)."""
    if path is None:
        return await send()
    tripped = asyncio.Event()
    watcher = asyncio.create_task(_watch(path, stop, tripped, out))
    try:
        result = await send()
    finally:
        watcher.cancel()
    run_id = run_id_of(result)
    if tripped.is_set() and run_id:
        await _cancel_run(broker, run_id, out)
    return result


def _appeared(path: Path) -> bool:
    return path.exists()  # one stat of a local path: no wait worth a thread


async def _watch(path: Path, stop: asyncio.Event, tripped: asyncio.Event, out: Console) -> None:
    """Trip when `path` appears; end quietly if the run is stopped otherwise first."""
    while not _appeared(path):
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(POLL_S):
                await stop.wait()
        if stop.is_set():
            return
    tripped.set()
    out.print(f"[yellow]kill switch: {escape(str(path))} appeared: no new orders; the run's "
              "open orders will be cancelled[/]")  # fmt: skip
    stop.set()


async def _cancel_run(broker: Broker, run_id: str, out: Console) -> None:
    if not callable(getattr(broker, "working_orders", None)):
        out.print(f"[red]kill switch: {broker.name} cannot list its orders; cancel by hand[/]")
        return
    account: AccountBroker = broker  # type: ignore[assignment]  # checked just above
    try:
        report = await cancel_all(account, run_id=run_id)
    except BrokerError as exc:
        out.print(f"[red]kill switch: the run's orders could not be listed: {escape(str(exc))}; "
                  "run `tradeburst cancel-all`[/]")  # fmt: skip
        return
    out.print(f"kill switch: run {run_id}")
    print_cancel_report(out, report)
