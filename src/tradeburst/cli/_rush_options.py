"""What `rush` takes that `fire` does not: the target time, the admin key that reads the
rehearsal exchange's receive stamps, and the one TWSE rule every rusher must know."""

from __future__ import annotations

from datetime import time as time_of_day
from typing import Annotated

import typer

from tradeburst.cli._values import parse_clock

__all__ = ["RANDOM_RANKING_NOTE", "AdminKey", "At", "parse_at"]

RANDOM_RANKING_NOTE = (
    "TWSE ranks same-price orders entered before the 09:00 open at random: racing before "
    "09:00 buys no queue place. After 09:00, time priority counts."
)

At = Annotated[
    str,
    typer.Option(
        help="When the first order leaves: HH:MM:SS[.ffffff], exchange time (Asia/Taipei).",
        show_default=False,
    ),
]
AdminKey = Annotated[
    str | None,
    typer.Option(
        envvar="TRADEBURST_ADMIN_KEY",
        show_envvar=True,
        help="The rehearsal exchange's admin key, to read its receive stamps for the fire "
        "error too.",
    ),
]


def parse_at(value: str) -> time_of_day:
    """The rush's target, an exchange time."""
    parsed = parse_clock(value, "--at")
    assert parsed is not None
    return parsed
