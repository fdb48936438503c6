"""`tradeburst config`: the settings the sending commands would use now, each with where it
comes from (the environment, the config file, or the built-in default), secrets masked
(a URL's password too).
A flag given on a command's own line still wins over all three."""

from __future__ import annotations

import os
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup, TyperOption

from tradeburst._shown_urls import without_password
from tradeburst.cli._config import SECRETS, loaded_config

__all__ = ["SHOWN", "config_command"]

SHOWN = (
    "url", "api_key", "api_key_file", "broker", "profile", "concurrency", "batch_size",
    "max_orders", "max_qty", "max_notional", "max_run_qty", "max_run_notional",
    "price_collar_pct", "grace_ms", "headroom_ms", "release", "max_request_age", "realtime_ms",
    "delayed_ms", "fubon_config", "fubon_test", "fubon_unblock", "fubon_url",
    "fubon_timeout_s", "fubon_keep_sdk_log", "throttle",
)  # fmt: skip
"""The settings shown always, as `fire` takes them; others appear when the file sets them."""
MASK = "****"


def config_command(ctx: typer.Context) -> None:
    """Print the effective settings and where each comes from (secrets masked)."""
    loaded = loaded_config(ctx)
    root = ctx.find_root().command
    assert isinstance(root, TyperGroup)
    fire = {p.name: p for p in root.commands["fire"].params if isinstance(p, TyperOption)}
    out = Console(highlight=False, soft_wrap=True)
    if loaded.path is None:
        out.print("config file: none (looked for --config, ./tradeburst.toml, "
                  "~/.config/tradeburst/config.toml)")  # fmt: skip
    else:
        out.print(f"config file: {loaded.path}")
    table = Table("setting", "value", "from")
    for name in SHOWN:
        option = fire[name]
        key = f"fubon.{name.removeprefix('fubon_')}" if name.startswith("fubon_") else name
        table.add_row(key, *_effective(option, loaded.values.get(key), loaded.path))
    for key, value in loaded.values.items():
        bare = key.replace("fubon.", "fubon_") if key.startswith("fubon.") else key
        if bare not in SHOWN:
            table.add_row(key, _shown(bare, value), str(loaded.path))
    out.print(table)


def _effective(option: TyperOption, in_file: Any, path: object) -> tuple[str, str]:
    envvar = option.envvar
    names: list[str] = [envvar] if isinstance(envvar, str) else list(envvar or [])
    for envvar in names:
        if os.environ.get(envvar):
            return _shown(option.name, os.environ[envvar]), f"environment {envvar}"
    if in_file is not None:
        return _shown(option.name, in_file), str(path)
    return _shown(option.name, option.default), "built-in default"


def _shown(name: str | None, value: Any) -> str:
    if value is None:
        return "(none)"
    if name in SECRETS:
        return MASK
    if isinstance(value, bool):
        return "true" if value else "false"
    return without_password(str(getattr(value, "value", value)))
