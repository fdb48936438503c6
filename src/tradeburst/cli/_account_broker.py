"""What `cancel-all` and `account` share: the broker they look at (the same `--broker`
options as the sending commands, checked the same way), opened for the length of one
piece of work in one event loop, with the errors a user can cause turned into a message
and exit 2, and Ctrl-C into exit 130. Neither command sends a new order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tradeburst._platform import run_loop
from tradeburst.brokers import AccountBroker, Broker, BrokerError
from tradeburst.cli._brokers import BrokerChoice, BrokerName, build_broker
from tradeburst.cli._options import checked_url

__all__ = ["account_broker", "with_account"]

T = TypeVar("T")


def account_broker(
    out: Console,
    *,
    name: BrokerName,
    url: str,
    api_key: str | None,
    api_key_file: Path | None,
    fubon_config: Path | None,
    fubon_test: bool,
    fubon_url: str | None,
    fubon_timeout_s: str | None,
) -> AccountBroker:
    """The broker the command's options name (`url` is the rehearsal exchange's, used for
    sim alone), not yet connected; usage errors name the option."""
    if name is BrokerName.SIM:
        checked_url(url)
    choice = BrokerChoice(
        name=name, url=url if name is BrokerName.SIM else None, api_key=api_key,
        api_key_file=api_key_file, fubon_config=fubon_config, fubon_test=fubon_test,
        fubon_url=fubon_url, fubon_timeout_s=fubon_timeout_s,
    )  # fmt: skip
    broker: Broker = build_broker(choice, out)
    return _describing(broker)


def _describing(broker: Broker) -> AccountBroker:
    if not callable(getattr(broker, "working_orders", None)):
        raise typer.BadParameter(f"{broker.name} cannot list the account's orders")
    return broker  # type: ignore[return-value]  # checked just above


def with_account(
    broker: AccountBroker, work: Callable[[AccountBroker], Awaitable[T]], *, interrupted: int = 130
) -> T:
    """`work` on the connected broker in one event loop, the broker closed after it; Ctrl-C
    exits with `interrupted`."""

    async def main() -> T:
        try:
            await broker.connect()
            return await work(broker)
        finally:
            await broker.aclose()

    error = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        return run_loop(main())
    except BrokerError as exc:
        error.print(f"[red]{broker.name}: {escape(str(exc))}[/]", emoji=False)
        raise typer.Exit(2) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        if interrupted:
            error.print("[red]interrupted[/]")
        raise typer.Exit(interrupted) from None
