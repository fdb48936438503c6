"""`--broker sim|fubon` for every command that sends orders: the options, and one function
that checks them and builds the `Broker` before anything is sent. `fire` and `resume` use
it; `rush` and `run` take the same options and call `build_broker` the same way.

sim: the rehearsal exchange at `--url` with an API key (`--api-key-file`,
`TRADEBURST_API_KEY`, `--api-key`). fubon: a Fubon Neo account through the `fubon_neo`
SDK (in a worker process), logged in from `TRADEBURST_FUBON_*` or a 0600 `--fubon-config`
file; `--fubon-url` (or `url` in the file) picks the endpoint, `--fubon-test` is Fubon's
test environment, and `resume` goes back to the journal's. Bad settings are usage errors
naming the option or the variable (exit 2); secrets are never printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tradeburst.brokers import Broker, SimBroker
from tradeburst.cli._keys import read_api_key

if TYPE_CHECKING:
    from tradeburst.brokers.fubon import Deadlines

__all__ = [
    "BrokerChoice",
    "BrokerName",
    "BrokerOption",
    "FubonConfigOption",
    "FubonKeepSdkLogOption",
    "FubonTestOption",
    "FubonTimeoutOption",
    "FubonUnblockOption",
    "FubonUrlOption",
    "build_broker",
    "connect_unless_stopped",
]


class BrokerName(enum.StrEnum):
    SIM = "sim"
    FUBON = "fubon"


BrokerOption = Annotated[
    BrokerName,
    typer.Option(
        "--broker",
        help="sim: the rehearsal exchange at --url. fubon: a Fubon Neo account, logged in "
        "from TRADEBURST_FUBON_* or --fubon-config; its SDK is installed with the dev extras "
        "(for a package install, pip install 'tradeburst\\[fubon]').",
    ),
]
FubonConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--fubon-config",
        envvar="TRADEBURST_FUBON_CONFIG",
        help="TOML file with the Fubon login (mode 0600); see docs/fubon.md.",
    ),
]
FubonTestOption = Annotated[
    bool,
    typer.Option(
        "--fubon-test",
        help="Trade in Fubon's test environment (neoapitest). It supplies no account: the "
        "login still comes from TRADEBURST_FUBON_* or --fubon-config.",
    ),
]
FubonUnblockOption = Annotated[
    bool,
    typer.Option(
        "--fubon-unblock",
        help="Place single orders with unblock=True: outcomes come by callback.",
    ),
]

FubonUrlOption = Annotated[
    str | None,
    typer.Option(
        "--fubon-url",
        help="The Fubon trading endpoint (wss://…); default production, or `url` in "
        "--fubon-config.",
    ),
]
FubonTimeoutOption = Annotated[
    str | None,
    typer.Option(
        "--fubon-timeout-s",
        help="Deadline of each SDK call in seconds: one number for all, or one per kind "
        "(login, order, query) as in order=10,query=15. Past it an order is reconciled, a "
        "query is not sent, and the SDK worker is replaced.",
    ),
]
FubonKeepSdkLogOption = Annotated[
    Path | None,
    typer.Option(
        "--fubon-keep-sdk-log",
        help="Move the SDK's own log files here (0700) instead of deleting them. They hold "
        "the login: password or API key.",
    ),
]


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerChoice:
    """What the options of a sending command say about the broker."""

    name: BrokerName = BrokerName.SIM
    url: str | None = None
    """sim: the exchange's URL. fubon: the trading URL, when resuming a run that used one."""
    api_key: str | None = None
    api_key_file: Path | None = None
    fubon_config: Path | None = None
    fubon_test: bool = False
    fubon_unblock: bool = False
    fubon_url: str | None = None
    fubon_timeout_s: str | None = None
    fubon_keep_sdk_log: Path | None = None
    concurrency: int | None = None


def build_broker(choice: BrokerChoice, console: Console | None = None) -> Broker:
    """A broker, not yet connected; raises `typer.BadParameter` for bad settings."""
    if choice.name is BrokerName.SIM:
        if choice.url is None:
            raise typer.BadParameter("the rehearsal exchange's URL is needed", param_hint="--url")
        key = read_api_key(choice.api_key, choice.api_key_file)
        return SimBroker(choice.url, key, connections=choice.concurrency)
    return _fubon(choice, console)


def _fubon(choice: BrokerChoice, console: Console | None) -> Broker:
    from tradeburst.brokers.fubon import (
        PRODUCTION_URL,
        TEST_URL,
        CredentialsError,
        FubonBroker,
        StandinError,
        load_credentials,
        sdk_factory_from_env,
    )

    try:
        standin = sdk_factory_from_env()
    except StandinError as exc:
        raise typer.BadParameter(str(exc), param_hint="TRADEBURST_FUBON_SDK") from None
    try:
        credentials = load_credentials(choice.fubon_config)
    except CredentialsError as exc:
        raise typer.BadParameter(exc.reason, param_hint=exc.where) from None
    if choice.fubon_url is not None and choice.fubon_test:
        raise typer.BadParameter("give one of them", param_hint="--fubon-url, --fubon-test")
    # Asked for now, else the journal's (resume), else the config file's, else production.
    url = (
        _checked_url(choice.fubon_url)
        if choice.fubon_url is not None
        else TEST_URL
        if choice.fubon_test
        else choice.url or credentials.url or PRODUCTION_URL
    )
    deadlines = _deadlines(choice.fubon_timeout_s)
    keep = choice.fubon_keep_sdk_log
    if keep is not None and keep.exists() and not keep.is_dir():
        raise typer.BadParameter(f"{keep} is not a folder", param_hint="--fubon-keep-sdk-log")
    if console is not None:
        if standin is not None:
            console.print(f"[yellow]fubon: SDK stand-in {standin} (a test seam: no real orders)[/]")
        if keep is not None:
            console.print(
                f"[yellow]fubon: the SDK's log files go to {keep}; they hold your password "
                "or API key in base64 and your personal ID: keep them private, delete them "
                "when done[/]"
            )
    return FubonBroker(
        credentials,
        url=url,
        unblock=choice.fubon_unblock,
        connections=choice.concurrency,
        deadlines=deadlines,
        sdk_factory=standin,
        keep_sdk_log=keep,
    )


def _checked_url(url: str) -> str:
    if not url.startswith(("wss://", "ws://")) or len(url) < 8:
        raise typer.BadParameter(f"{url!r} is not a ws:// or wss:// URL", param_hint="--fubon-url")
    return url


def _deadlines(text: str | None) -> Deadlines:
    """`--fubon-timeout-s`: `20` (every kind) or `login=30,order=10,query=15`."""
    from tradeburst.brokers.fubon import Deadlines

    if text is None:
        return Deadlines()
    hint = "--fubon-timeout-s"
    values: dict[str, float] = {}
    for part in text.split(","):
        kind, _, number = part.strip().rpartition("=")
        kinds = [kind] if kind else ["login", "order", "query"]
        if any(k not in ("login", "order", "query") for k in kinds):
            raise typer.BadParameter(
                f"{kind!r}: the kinds are login, order, query", param_hint=hint
            )
        try:
            seconds = float(number)
        except ValueError:
            raise typer.BadParameter(
                f"{number!r} is not a number of seconds", param_hint=hint
            ) from None
        if not math.isfinite(seconds) or seconds <= 0:
            raise typer.BadParameter(f"{number!r} must be a positive number", param_hint=hint)
        values.update({f"{k}_s": seconds for k in kinds})
    return Deadlines(**values)


async def connect_unless_stopped(broker: Broker, stop: asyncio.Event, console: Console) -> None:
    """Log in, unless Ctrl-C comes first: then the login is abandoned (a Fubon login holds
    its SDK worker, which is killed) and the command ends with nothing sent."""
    connecting = asyncio.ensure_future(broker.connect())
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({connecting, stopped}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        connecting.cancel()
        raise
    finally:
        stopped.cancel()
    if connecting.done():
        connecting.result()
        return
    connecting.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await connecting
    console.print(f"[red]{broker.name}: interrupted while logging in; nothing was sent[/]")
    raise asyncio.CancelledError
