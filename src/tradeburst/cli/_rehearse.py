"""`tradeburst rehearse SCRIPT [ARGS…]`: run a script written for Fubon's `fubon_neo`
unchanged, with `fubon_neo` (and `fubon_neo.sdk`, `fubon_neo.constant`) replaced by the
compatible SDK on the rehearsal exchange. The exchange is the one at `--url` (with the key
from `--api-key-file`, `TRADEBURST_API_KEY` or `--api-key`, as `fire` takes it), or, without
`--url`, one started for the run with `exchange`'s options (`--clock`, `--profile`,
`--seed`, …) and stopped after it.

The script runs in this process (`runpy`, after `tradeburst.sim.install()`): the SDK is
plain Python, so nothing needs a second interpreter, the script's exit code and traceback
are its own, and tradeburst's own problems (a script that is not there, an exchange that
cannot be reached or refuses the key) are one clear line and exit 2 before it starts.
tradeburst's options may come before or after SCRIPT; after `--`, everything is the
script's.
"""

from __future__ import annotations

import atexit
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from tradeburst.cli._exchange import _check_profile, _check_speed
from tradeburst.cli._exchange_options import (
    AlwaysOpen,
    BatchCountsOrders,
    LatencyMs,
    NoLiquidity,
    ProfileName,
    Seed,
    Speed,
    StartClock,
)
from tradeburst.cli._keys import read_api_key
from tradeburst.cli._options import ApiKey, ApiKeyFile, checked_url
from tradeburst.cli._rehearse_exchange import (
    EmbeddedExchange,
    RehearsalExchangeError,
    check_exchange,
)
from tradeburst.cli._rehearse_script import run_script
from tradeburst.cli._values import non_negative, parse_clock

__all__ = ["REHEARSE_SETTINGS", "rehearse_command"]

REHEARSE_SETTINGS: dict[str, Any] = {"allow_extra_args": True, "ignore_unknown_options": True}
TERMINATED = 143

Script = Annotated[
    Path, typer.Argument(help="The Python script (written for fubon_neo).", show_default=False)
]
ScriptArgs = Annotated[
    list[str] | None, typer.Argument(help="The script's own arguments.", show_default=False)
]
RehearseUrl = Annotated[
    str | None,
    typer.Option(
        envvar="TRADEBURST_URL",
        help="A running rehearsal exchange; without it one is started for the run.",
    ),
]


def rehearse_command(
    script: Script,
    args: ScriptArgs = None,
    url: RehearseUrl = None,
    api_key: ApiKey = None,
    api_key_file: ApiKeyFile = None,
    profile: ProfileName = "fubon",
    batch_counts_orders: BatchCountsOrders = False,
    clock: StartClock = None,
    speed: Speed = 1.0,
    always_open: AlwaysOpen = False,
    latency_ms: LatencyMs = 0.0,
    seed: Seed = None,
    no_liquidity: NoLiquidity = False,
) -> None:
    """Run a script written for fubon_neo against the rehearsal exchange, unchanged."""
    if not script.exists():
        raise typer.BadParameter(f"{script} does not exist", param_hint="SCRIPT")
    embedded = _embedded_options(
        profile, batch_counts_orders, clock, speed, always_open, latency_ms, seed, no_liquidity
    )
    if url is not None:
        if embedded:
            raise typer.BadParameter(
                f"{embedded[0]} is for an exchange started for the run; leave out --url",
                param_hint=embedded[0],
            )
        code = _against(checked_url(url), read_api_key(api_key, api_key_file), script, args)
    else:
        code = _embedded(embedded, script, args)
    raise typer.Exit(code)


def _embedded_options(
    profile: str,
    batch_counts_orders: bool,
    clock: str | None,
    speed: float,
    always_open: bool,
    latency_ms: float,
    seed: int | None,
    no_liquidity: bool,
) -> list[str]:
    """The exchange command's options that differ from its defaults, checked."""
    options: list[str] = []
    if profile != "fubon":
        _check_profile(profile)
        options += ["--profile", profile]
    if batch_counts_orders:
        options.append("--batch-counts-orders")
    if clock is not None:
        parse_clock(clock)
        options += ["--clock", clock]
    if speed != 1.0:
        _check_speed(speed)
        options += ["--speed", repr(speed)]
    if always_open:
        options.append("--always-open")
    if latency_ms:
        options += ["--latency-ms", repr(non_negative(latency_ms, "--latency-ms"))]
    if seed is not None:
        options += ["--seed", str(seed)]
    if no_liquidity:
        options.append("--no-liquidity")
    return options


def _against(url: str, api_key: str, script: Path, args: list[str] | None) -> int:
    try:
        check_exchange(url, api_key)
    except RehearsalExchangeError as exc:
        _fail(str(exc))
    return _run(url, api_key, script, args)


def _embedded(options: list[str], script: Path, args: list[str] | None) -> int:
    exchange = EmbeddedExchange(options)
    try:
        url, api_key = exchange.start()
    except RehearsalExchangeError as exc:
        _fail(str(exc))
    # Stopped at exit, after the interpreter has waited for the threads the script left
    # running (they may still use it) and before the script's own atexit hooks.
    atexit.register(exchange.stop)
    return _run(url, api_key, script, args)


def _run(url: str, api_key: str, script: Path, args: list[str] | None) -> int:
    from tradeburst import sim

    sim.install(url=url, api_key=api_key)
    if threading.current_thread() is threading.main_thread():  # only it may set handlers
        signal.signal(signal.SIGTERM, _terminated)
    sys.stdout.flush()
    return run_script(script, list(args or ()))


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM ends the script as Python's default would, but through `finally` blocks,
    so an exchange started for the run is stopped with it."""
    raise SystemExit(TERMINATED)


def _fail(message: str) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[red]rehearse: {escape(message)}[/]")
    raise typer.Exit(2)
