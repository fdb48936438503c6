"""`tradeburst` run in the test's own process: the commands that install no signal handler
(`cancel-all`, `account`, `config`) invoked through typer's runner on a thread of their
own, so their `asyncio.run` gets its own loop while the test's loop goes on serving the
rehearsal exchange. It saves a Python start per command; `fire`, `rush` and `run` install
signal handlers, which only the main thread may, and run as processes (`_engine_support`)."""

from __future__ import annotations

import asyncio
import os

from typer.testing import CliRunner, Result

from tradeburst.cli import app

__all__ = ["invoke"]

_runner = CliRunner()


def _clean_env() -> dict[str, str | None]:
    """No tradeburst setting the developer may have exported; lines wide enough to read."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TRADEBURST_")}
    return {**unset, "COLUMNS": "200"}


async def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """`tradeburst ARGS`, with `env` added to a clean environment."""
    environment = {**_clean_env(), **(env or {})}
    return await asyncio.to_thread(_runner.invoke, app, list(args), env=environment)
