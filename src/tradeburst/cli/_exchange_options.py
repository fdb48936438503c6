"""The options of `tradeburst exchange`, as typer types: where it listens, what it keeps,
its broker limits and clock, the latency and faults it adds, the limits of its door, and
its market data. Their values are checked in `cli/_exchange.py`."""

from __future__ import annotations

from typing import Annotated

import typer

from tradeburst.exchange import PROFILES, DoorLimits

__all__ = [
    "DOOR",
    "AdminKeyOption",
    "AlwaysOpen",
    "AmbiguousRate",
    "ApiKeys",
    "BatchCountsOrders",
    "BodyTimeoutS",
    "ConnectDelayMs",
    "ConnectionsPerSource",
    "Db",
    "ErrorRate",
    "HeaderTimeoutS",
    "Host",
    "JitterMs",
    "LateMs",
    "LateRate",
    "LatencyMs",
    "NoLiquidity",
    "Port",
    "ProfileName",
    "ResetRate",
    "Seed",
    "ShmFeed",
    "Speed",
    "StallMs",
    "StallRate",
    "StartClock",
    "TickAbove1000",
]

DOOR = DoorLimits()
"""The door's defaults, shown as the options' defaults."""

Host = Annotated[str, typer.Option(help="Address to listen on.")]
# The range is checked in the command, not by typer: typer would print it beside the type
# and widen that column until the long option names were cut at 80 columns.
Port = Annotated[int, typer.Option(help="Port, 0 to 65535; 0 picks a free one.")]
Db = Annotated[
    str,
    typer.Option(
        help="SQLite file that keeps orders and fills across a kill and restart (default: in "
        "memory, gone when the exchange stops)."
    ),
]
ApiKeys = Annotated[
    list[str] | None,
    typer.Option(
        "--api-key",
        help="An account's API key (repeat for more accounts); one is generated when absent.",
    ),
]
AdminKeyOption = Annotated[
    str | None, typer.Option(help="Key of the admin API; generated when absent.")
]
ProfileName = Annotated[str, typer.Option(help=f"Broker limits: {', '.join(PROFILES)}.")]
# Every flag takes one name only (--no-liquidity too): a --no-… twin doubled the width of
# the names column and cut the long names at 80 columns.
BatchCountsOrders = Annotated[
    bool,
    typer.Option(
        "--batch-counts-orders",
        help="A batch call also counts its orders toward the orders/s limit.",
    ),
]
StartClock = Annotated[
    str | None,
    typer.Option(help="Exchange time at start, HH:MM:SS Asia/Taipei (default: real time)."),
]
Speed = Annotated[float, typer.Option(help="Exchange seconds per real second.")]
AlwaysOpen = Annotated[
    bool, typer.Option("--always-open", help="Continuous trading all day, no auctions.")
]
LatencyMs = Annotated[float, typer.Option(help="Base latency added to every answer.")]
JitterMs = Annotated[float, typer.Option(help="Random extra latency, up to this much.")]
ConnectDelayMs = Annotated[
    float, typer.Option(help="Added to the first request of every new connection.")
]
ErrorRate = Annotated[
    float,
    typer.Option(help="Fraction of order actions refused before anything is placed (503)."),
]
AmbiguousRate = Annotated[
    float, typer.Option(help="Fraction of order actions carried out whose answer is then lost.")
]
ResetRate = Annotated[
    float,
    typer.Option(
        help="Fraction of order actions whose connection is reset before anything is placed."
    ),
]
StallRate = Annotated[
    float, typer.Option(help="Fraction of order actions answered only after --stall-ms.")
]
StallMs = Annotated[float, typer.Option(help="How long a stalled or lost answer is held.")]
LateRate = Annotated[
    float,
    typer.Option(
        help="Fraction of order actions held for --late-ms before they are carried out, "
        "whatever their client does meanwhile."
    ),
]
LateMs = Annotated[
    float, typer.Option(help="How long a late order action is held before it lands.")
]
HeaderTimeoutS = Annotated[
    float, typer.Option(help="Time a new connection has to send its request headers.")
]
BodyTimeoutS = Annotated[
    float, typer.Option(help="Time a request has to send its body after its headers.")
]
ConnectionsPerSource = Annotated[
    int, typer.Option(min=1, help="Connections one source address may hold; more are closed.")
]
Seed = Annotated[
    int | None, typer.Option(help="Seed for faults, jitter, liquidity and auction ranking.")
]
NoLiquidity = Annotated[
    bool,
    typer.Option(
        "--no-liquidity",
        help="Leave out the background house orders that keep the books two-sided.",
    ),
]
TickAbove1000 = Annotated[
    str,
    typer.Option(help="Tick of shares priced at 1000 TWD and above (5 today; 1 is proposed)."),
]
ShmFeed = Annotated[
    str | None,
    typer.Option(
        help="Publish trades and best bid/ask into a shared-memory tick ring of this name, "
        "for a busy-poll reader (tradeburst.hotpath)."
    ),
]
