"""The orders the broker rejected, with its reasons, as every command shows them: the
final table of `fire`, `rush`, `resume` and `run`, their JSON summary, and `report`. A
few are listed one by one; many are grouped by reason, so a batch refused at 08:00 reads
as one line with its count, not five hundred."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console

from tradeburst.engine import Intent, IntentState
from tradeburst.summary import Rejection

__all__ = [
    "LISTED_ONE_BY_ONE",
    "group_rejections",
    "print_rejections",
    "rejections_of",
    "rejections_text",
]

LISTED_ONE_BY_ONE = 10
"""Up to this many rejections are listed each on its row; more are grouped by reason."""
_LINES_SHOWN = 8


def rejections_of(intents: Iterable[Intent]) -> list[Rejection]:
    return [
        Rejection(
            user_def=intent.user_def,
            line=intent.line,
            symbol=intent.order.symbol,
            reason=intent.message
            or (f"status {intent.status}" if intent.status is not None else "no reason given"),
        )
        for intent in intents
        if intent.state is IntentState.REJECTED
    ]


def group_rejections(rejections: Iterable[Rejection]) -> list[tuple[str, list[Rejection]]]:
    """By reason, the most frequent first."""
    groups: dict[str, list[Rejection]] = {}
    for rejection in rejections:
        groups.setdefault(rejection.reason, []).append(rejection)
    return sorted(groups.items(), key=lambda item: -len(item[1]))


def rejections_text(rejections: list[Rejection]) -> list[str]:
    """A heading, then each rejection on its line when there are few, else one line per
    reason with its count. Lines, not a table: a broker's reason is long, and a table cell
    would fold it where a reader (or grep) would not find it whole."""
    count = len(rejections)
    lines = [f"{count} rejected by the broker:"]
    if count <= LISTED_ONE_BY_ONE:
        lines += [f"  line {r.line} · {r.user_def} · {r.symbol}: {r.reason}" for r in rejections]
        return lines
    for reason, group in group_rejections(rejections):
        shown = ", ".join(str(r.line) for r in group[:_LINES_SHOWN])
        more = f", … ({len(group) - _LINES_SHOWN} more)" if len(group) > _LINES_SHOWN else ""
        lines.append(f"  {len(group)} × {reason} (lines {shown}{more})")
    return lines


def print_rejections(console: Console, rejections: list[Rejection]) -> None:
    """The rejections, if any, in red, as the broker wrote its reasons (no markup)."""
    for number, line in enumerate(rejections_text(rejections) if rejections else []):
        console.print(line, style="red" if number == 0 else None, markup=False, emoji=False)
