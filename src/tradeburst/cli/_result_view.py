"""What a finished `fire`, `rush` or `resume` prints: the plan of a dry run, or the
outcome table (counts, timing, latency, the rush's fire error, the clock offset), the
rejections, the orders placed twice, and what to run next when the run is not finished."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeburst.clock import exchange_datetime
from tradeburst.engine import FireResult
from tradeburst.report import fire_error_text, print_rejections
from tradeburst.summary import FireError

__all__ = ["measured", "print_late_duplicates", "print_plan", "print_result", "resume_hint"]

PLAN_ROWS = 20
"""Send times shown of a dry run's plan; the rest are counted."""


def print_plan(console: Console, result: FireResult) -> None:
    """A dry run's plan: when each batch call may leave, and the bound it sets."""
    schedule = result.plan
    table = Table(title=f"Plan: {schedule.orders} orders under the {result.profile.name} limits")
    for column in ("at (s)", "batch calls", "orders"):
        table.add_column(column, justify="right")
    windows = schedule.windows()
    for at_s, calls, orders in windows[:PLAN_ROWS]:
        table.add_row(f"{at_s:.3f}", str(calls), str(orders))
    if len(windows) > PLAN_ROWS:
        table.add_row("…", "", f"{len(windows) - PLAN_ROWS} more send times")
    console.print(table)
    console.print(
        f"lower bound: {schedule.last_send_s:.3f} s of limits + one round trip "
        f"({len(schedule.steps)} request{'' if len(schedule.steps) == 1 else 's'}; "
        "dry run, nothing sent)"
    )
    for warning in result.warnings:
        console.print(f"[yellow]warning: {escape(warning)}[/]")


def print_result(console: Console, result: FireResult) -> None:
    """The outcome table, then everything the user must act on."""
    console.print(_outcome_table(result))
    print_rejections(console, result.summary.rejections)
    if result.run_id is not None:
        console.print(f"run: {result.run_id}")
    if result.journal is not None:
        console.print(f"journal: {result.journal}", emoji=False)
    if result.fatal:
        console.print(f"[red]sending stopped: {result.fatal}[/]")
    if result.journal_failure:
        console.print(
            f"[red]{escape(result.journal_failure)}: sending stopped; what was in "
            "flight was settled, and the journal holds every order[/]",
            emoji=False,
        )
    print_late_duplicates(console, result)
    orders = result.summary.orders
    dispatch = result.dispatch
    if dispatch is not None and dispatch.target_ns is not None and not dispatch.opening_sends_ns:
        console.print(
            "[yellow]nothing was sent: run the rush again (`resume` would send at once)[/]"
        )
    elif orders.unknown or orders.not_sent or result.interrupted or result.journal_failure:
        console.print(
            f"[yellow]not finished: run `{resume_hint(result.journal, result.run_id)}`[/]",
            emoji=False,
        )


def resume_hint(journal: str | None, run_id: str | None) -> str:
    """The command that finishes a run: a shared journal needs the run's id too."""
    shared = journal is not None and "://" in journal
    tail = f" --run {run_id}" if shared and run_id else ""
    return f"tradeburst resume --journal {journal}{tail}"


def _outcome_table(result: FireResult) -> Table:
    summary = result.summary
    orders = summary.orders
    timing = summary.timing
    table = Table(
        title=f"{summary.command}: {summary.broker} account {summary.account}", show_header=False
    )
    table.add_column()
    table.add_column(justify="right")
    for label, value in (
        ("orders", orders.total),
        ("accepted", orders.accepted),
        ("rejected by the broker", orders.rejected),
        ("unknown", orders.unknown),
        ("not sent", orders.not_sent),
        ("found placed by asking the broker", orders.found_placed),
        ("resent after the broker did not have them", orders.resent),
        ("rate-limit refusals", summary.rate_limit_rejections),
    ):
        table.add_row(label, str(value))
    table.add_row("elapsed", f"{timing.elapsed_s:.3f} s")
    table.add_row("lower bound", measured(timing.lower_bound_s, ".3f", " s"))
    table.add_row("efficiency", measured(timing.efficiency, ".2f"))
    table.add_row(
        "answer latency p50 / p99 / max",
        f"{summary.latency_ms.p50:.1f} / {summary.latency_ms.p99:.1f} / "
        f"{summary.latency_ms.max:.1f} ms",
    )
    if result.dispatch is not None and result.dispatch.target_ns is not None:
        table.add_row(
            "fire error (ours)", _fire_error_text(result, timing.fire_error_us, "requests")
        )
        table.add_row(
            "fire error (exchange)",
            _fire_error_text(result, timing.exchange_fire_error_us, "orders"),
        )
    table.add_row(
        "exchange clock − ours",
        f"{measured(timing.clock_offset_ms, '+.3f', ' ms')} ± "
        f"{measured(timing.clock_error_ms, '.3f', ' ms')}",
    )
    c = summary.classification
    table.add_row("classification", f"🟢 {c.realtime}  🟡 {c.delayed}  🔴 {c.severe}")
    if result.cancelled:
        table.add_row("cancelled on abort", str(result.cancelled))
    return table


def print_late_duplicates(console: Console, result: FireResult) -> None:
    """Every order placed twice, loudly, and a watch cut short."""
    for late in result.summary.late_duplicates:
        console.print(
            f"[bold red]placed twice: {late.user_def} ({late.symbol}): order "
            f"{late.order_no} arrived late beside {late.kept_order_no}; it had filled "
            f"{late.filled_qty} shares; {late.note}[/]",
            emoji=False,
        )
    if result.watch_until_ns is not None:
        until = exchange_datetime(result.watch_until_ns)
        console.print(
            "[bold red]the late-duplicate watch was cut short: an order sent again may "
            f"still be joined by its late first request until {until:%H:%M:%S}; check the "
            "account's orders until then[/]"
        )


def measured(value: float | None, spec: str, unit: str = "") -> str:
    """A figure as text, or "not measured" where the run has none (never a made-up 0)."""
    return "not measured" if value is None else f"{value:{spec}}{unit}"


def _fire_error_text(result: FireResult, error: FireError | None, counted: str) -> str:
    if result.dispatch is None or not result.dispatch.opening_sends_ns:
        return "nothing sent at the target"
    if error is None:
        return "not read (needs --admin-key)"
    return fire_error_text(error, counted)
