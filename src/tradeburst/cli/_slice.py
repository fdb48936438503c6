"""`tradeburst slice`: preview a TWAP schedule (the slices, their lots and children, the
price rule) as a table or JSON, without any broker."""

from __future__ import annotations

from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from tradeburst.cli._values import parse_clock, writable
from tradeburst.model import Side
from tradeburst.strategies import (
    BASES,
    PricePolicy,
    Slice,
    TwapError,
    TwapParent,
    seconds_of_day,
    twap_schedule,
)

__all__ = ["slice_command", "time_of"]

_SHOWN_ROWS = 30
DEFAULT_SLICES = 48


def time_of(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _decimal(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter(f"{value!r} is not a number", param_hint=option) from None


def slice_command(
    symbol: Annotated[str, typer.Option(help="The symbol, e.g. 2330.", show_default=False)],
    side: Annotated[Side, typer.Option(help="Buy or Sell.", show_default=False)],
    quantity: Annotated[
        int, typer.Option(help="Parent shares, whole lots (e.g. 10000000).", show_default=False)
    ],
    start: Annotated[str, typer.Option(help="Window start, exchange time HH:MM:SS.")] = "09:00:00",
    end: Annotated[str, typer.Option(help="Window end, exchange time HH:MM:SS.")] = "13:25:00",
    slices: Annotated[int | None, typer.Option(min=1, help="Number of slices.")] = None,
    interval_s: Annotated[
        float | None, typer.Option(help="Or: seconds between slices (instead of --slices).")
    ] = None,
    participation: Annotated[
        str | None, typer.Option(help="Cap each slice at this fraction of the volume seen.")
    ] = None,
    price: Annotated[str | None, typer.Option(help="A fixed limit price.")] = None,
    basis: Annotated[
        str, typer.Option(help=f"Or a basis for the price: {', '.join(BASES)}.")
    ] = "reference",
    offset_ticks: Annotated[int, typer.Option(help="Ticks from the basis (+ up, - down).")] = 0,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the schedule here as JSON.")
    ] = None,
) -> None:
    """Preview how a TWAP parent order is cut into lot-rounded children over its window."""
    json_path = writable(json_path, "--json")
    start_s = seconds_of_day(_clock(start, "--start"))
    end_s = seconds_of_day(_clock(end, "--end"))
    try:
        parent = TwapParent(
            symbol=symbol,
            side=side,
            quantity=quantity,
            start_s=start_s,
            end_s=end_s,
            slices=_slice_count(slices, interval_s, end_s - start_s),
            participation=_decimal(participation, "--participation"),
            price=PricePolicy(
                price_twd=_decimal(price, "--price"), basis=basis, offset_ticks=offset_ticks
            ),
        )
    except TwapError as exc:
        raise typer.BadParameter(str(exc)) from None
    schedule = twap_schedule(parent)
    console = Console(highlight=False)
    console.print(_table(parent, schedule, participation))
    total = sum(piece.shares for piece in schedule)
    child_count = sum(len(piece.children) for piece in schedule)
    console.print(f"total {total:,} shares in {child_count} child orders (parent {quantity:,})")
    if json_path is not None:
        json_path.write_bytes(
            msgspec.json.format(
                msgspec.json.encode(_document(parent, schedule, participation)), indent=2
            )
        )
        console.print(f"schedule written to {json_path}")


def _slice_count(slices: int | None, interval_s: float | None, window_s: float) -> int:
    """--slices, or the window cut every --interval-s, or 48 when neither is given."""
    if slices is not None and interval_s is not None:
        raise typer.BadParameter("give one of them", param_hint="--slices, --interval-s")
    if slices is not None:
        return slices
    if interval_s is None:
        return DEFAULT_SLICES
    if not interval_s > 0:
        raise typer.BadParameter("must be positive", param_hint="--interval-s")
    return max(1, round(window_s / interval_s))


def _table(parent: TwapParent, schedule: list[Slice], participation: str | None) -> Table:
    """The first slices of the schedule, the rest counted."""
    table = Table(
        title=f"TWAP {parent.side} {parent.quantity:,} {parent.symbol}, "
        f"{time_of(parent.start_s)}–{time_of(parent.end_s)}, "
        f"{parent.slices} slices, {parent.price.describe()}"
        + (f", at most {participation} of the volume" if participation else "")
    )
    for column in ("#", "at", "lots", "shares", "children"):
        table.add_column(column, justify="right")
    for piece in schedule[:_SHOWN_ROWS]:
        table.add_row(
            str(piece.index + 1),
            time_of(piece.at_s),
            f"{piece.lots:,}",
            f"{piece.shares:,}",
            str(len(piece.children)),
        )
    if len(schedule) > _SHOWN_ROWS:
        table.add_row("…", "", "", "", f"{len(schedule) - _SHOWN_ROWS} more slices")
    return table


def _document(
    parent: TwapParent, schedule: list[Slice], participation: str | None
) -> dict[str, Any]:
    """The schedule as `--json` writes it."""
    return {
        "symbol": parent.symbol,
        "side": str(parent.side),
        "quantity": parent.quantity,
        "start": time_of(parent.start_s),
        "end": time_of(parent.end_s),
        "participation": participation,
        "price": parent.price.describe(),
        "slices": [
            {"at": time_of(p.at_s), "lots": p.lots, "children": p.children} for p in schedule
        ],
        "total": sum(piece.shares for piece in schedule),
    }


def _clock(value: str, option: str) -> time:
    parsed = parse_clock(value, option)
    assert parsed is not None
    return parsed
