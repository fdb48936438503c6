"""A rush's fire error as one line of text, the same in the run's table, `report` and the
demo: the earliest signed figure first, then p50 / p99 / max, in µs; anything before the
target in red with how many, since an early arrival is the one thing a rush must not do."""

from __future__ import annotations

from tradeburst.summary import FireError

__all__ = ["fire_error_text"]


def fire_error_text(error: FireError, counted: str) -> str:
    """`error` as rich markup; `counted` names what its stamps are ("requests", "orders")."""
    figures = (
        f"min {error.min:+.0f} / p50 {error.p50:.0f} / p99 {error.p99:.0f} / max {error.max:.0f} µs"
    )
    if not error.early:
        return figures
    return f"[bold red]{figures}; {error.early} {counted} before the target[/]"
