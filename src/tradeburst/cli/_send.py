"""How `fire`, `rush` and `resume` run once their options are checked: one event loop with
Ctrl-C and SIGTERM wired to the run's stop event (a second Ctrl-C stops waiting for answers), the
live view, a Fubon login that Ctrl-C can end, the errors a user can cause turned into a
message and exit 2, and the outcome printed and kept as the JSON summary with the engine's
exit code."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from tradeburst._bounded_run import cancel_within
from tradeburst._platform import run_loop
from tradeburst.brokers import Broker, BrokerError
from tradeburst.cli._brokers import connect_unless_stopped
from tradeburst.cli._output import OUTPUT_FAILED, keep_summary
from tradeburst.cli._problems import exit_with_problems
from tradeburst.cli._progress import LiveView
from tradeburst.cli._result_view import print_plan, print_result
from tradeburst.cli._signals import on_stop_signals
from tradeburst.engine import (
    Dispatcher,
    FireResult,
    InvalidInput,
    JournalError,
    ThrottleLost,
    ThrottleUnreachable,
    exit_code,
)
from tradeburst.report import rejections_of

__all__ = ["Send", "Watch", "console", "send_and_finish"]

Watch = Callable[[Dispatcher], None]
Send = Callable[[asyncio.Event, Watch | None], Awaitable[FireResult]]
"""One engine call (`fire`, `rush`, `resume`) given the stop event and the live view's
watch."""


def console() -> Console:
    """The console a sending command prints to: no highlighting, long lines kept whole."""
    return Console(highlight=False, soft_wrap=True)


def send_and_finish(
    out: Console,
    broker: Broker,
    send: Send,
    *,
    login_first: bool,
    live: bool,
    json_path: Path | None,
) -> NoReturn:
    """Run `send` on `broker` (logged in first where a login may hang), always closing the
    broker; then print the outcome, keep the summary and exit with the run's code."""

    async def work(stop: asyncio.Event, view: LiveView | None) -> FireResult:
        try:
            if login_first:
                await connect_unless_stopped(broker, stop, out)
            return await send(stop, view.watch if view else None)
        finally:
            await broker.aclose()

    _finish(out, _run(out, work, live=live), json_path)


def _finish(out: Console, result: FireResult, json_path: Path | None) -> NoReturn:
    """Print the outcome, write the summary, exit with the engine's code."""
    if result.dry_run:
        print_plan(out, result)
    else:
        result.summary.rejections = rejections_of(result.intents)
        print_result(out, result)
    code = 0 if result.dry_run else exit_code(result)
    if not keep_summary(out, result.summary, json_path) and code == 0:
        code = OUTPUT_FAILED
    raise typer.Exit(code)


def _run(
    out: Console,
    work: Callable[[asyncio.Event, LiveView | None], Awaitable[FireResult]],
    *,
    live: bool,
) -> FireResult:
    """Run `work` in one event loop; map the errors a user can cause to a message and exit
    code 2, and an interrupt to 130."""
    error = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        return run_loop(_main(out, work, live=live))
    except InvalidInput as exc:
        exit_with_problems(error, exc)
    except JournalError as exc:
        error.print(f"[red]{escape(str(exc))}; nothing sent[/]", emoji=False)
        raise typer.Exit(2) from None
    except BrokerError as exc:
        error.print(f"[red]broker: {escape(str(exc))}[/]", emoji=False)
        raise typer.Exit(2) from None
    except ThrottleUnreachable as exc:  # nothing was sent
        error.print(f"[red]{escape(str(exc))}; nothing sent[/]", emoji=False)
        raise typer.Exit(2) from None
    except ThrottleLost as exc:  # outside the dispatch (its own stop settles and says so)
        error.print(f"[red]{escape(str(exc))}[/]", emoji=False)
        raise typer.Exit(4) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        error.print(
            "[red]interrupted; run `tradeburst resume --journal PATH` with the journal "
            "(and `--run RUNID` with the run id) printed above to finish[/]"
        )
        raise typer.Exit(130) from None


async def _main(
    out: Console,
    work: Callable[[asyncio.Event, LiveView | None], Awaitable[FireResult]],
    *,
    live: bool,
) -> FireResult:
    """`work` with Ctrl-C and SIGTERM wired to its stop event and the live view refreshed."""
    stop = asyncio.Event()
    current = asyncio.current_task()

    def interrupt() -> None:
        if stop.is_set() and current is not None:
            cancel_within(current)  # a second Ctrl-C or SIGTERM: stop waiting for answers
        else:
            out.print("[yellow]stopping: no new orders; waiting for answers…[/]")
            stop.set()

    on_stop_signals(interrupt)
    view = LiveView(out) if live else None
    with view if view else contextlib.nullcontext():
        ticker = asyncio.create_task(_tick(view)) if view else None
        try:
            return await work(stop, view)
        finally:
            if ticker:
                ticker.cancel()


async def _tick(view: LiveView) -> None:
    while True:
        view.refresh()
        await asyncio.sleep(0.1)
