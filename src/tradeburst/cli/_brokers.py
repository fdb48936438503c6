"""`--broker sim|fubon` for every command that sends orders: the options, and one function
that checks them and builds the `Broker` before anything is sent. `fire` and `resume` use
it; `rush` and `run` take the same options and call `build_broker` the same way.

sim: the rehearsal exchange at `--url` with an API key (`--api-key-file`,
`TRADEBURST_API_KEY`, `--api-key`). fubon: a Fubon Neo account through the `fubon_neo`
SDK, logged in from `TRADEBURST_FUBON_*` or a 0600 `--fubon-config` file; `--fubon-test`
selects Fubon's test environment. Bad settings are usage errors naming the option or the
variable (exit 2); secrets are never printed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tradeburst.brokers import Broker, SimBroker
from tradeburst.cli._keys import read_api_key

__all__ = [
    "BrokerChoice",
    "BrokerName",
    "BrokerOption",
    "FubonConfigOption",
    "FubonTestOption",
    "FubonUnblockOption",
    "build_broker",
]


class BrokerName(enum.StrEnum):
    SIM = "sim"
    FUBON = "fubon"


BrokerOption = Annotated[
    BrokerName,
    typer.Option(
        "--broker",
        help="sim: the rehearsal exchange at --url. fubon: a Fubon Neo account "
        "(pip install 'tradeburst\\[fubon]'; login from TRADEBURST_FUBON_* or --fubon-config).",
    ),
]
FubonConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--fubon-config",
        envvar="TRADEBURST_FUBON_CONFIG",
        help="TOML file with the Fubon login (mode 0600); see the README.",
    ),
]
FubonTestOption = Annotated[
    bool,
    typer.Option("--fubon-test", help="Trade in Fubon's test environment (neoapitest)."),
]
FubonUnblockOption = Annotated[
    bool,
    typer.Option(
        "--fubon-unblock",
        help="Place single orders with unblock=True: outcomes come by callback.",
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
        factory, standin = sdk_factory_from_env()
    except StandinError as exc:
        raise typer.BadParameter(str(exc), param_hint="TRADEBURST_FUBON_SDK") from None
    try:
        credentials = load_credentials(choice.fubon_config)
    except CredentialsError as exc:
        raise typer.BadParameter(exc.reason, param_hint=exc.where) from None
    if choice.fubon_test:
        url = TEST_URL
    elif choice.url in (PRODUCTION_URL, TEST_URL):
        url = choice.url
    else:
        url = PRODUCTION_URL
    if standin is not None and console is not None:
        console.print(f"[yellow]fubon: SDK stand-in {standin} (a test seam: no real orders)[/]")
    return FubonBroker(
        credentials,
        url=url,
        unblock=choice.fubon_unblock,
        connections=choice.concurrency,
        sdk_factory=factory,
    )
