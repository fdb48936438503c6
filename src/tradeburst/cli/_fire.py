"""`tradeburst fire ORDERS` and `tradeburst resume --journal PATH`: send a batch through the
engine (or finish one), with a live view, a final table, the JSON summary and DESIGN.md's
exit codes. `--broker` picks the broker (`cli/_brokers.py`): the rehearsal exchange, with
its API key from `--api-key-file` (0600), `TRADEBURST_API_KEY` or `--api-key`, or a Fubon
account; `resume` goes back to the broker the run used. Secrets are never printed."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeburst.brokers import Broker, BrokerError, exchange_receipts
from tradeburst.cli._brokers import (
    BrokerChoice,
    BrokerName,
    BrokerOption,
    FubonConfigOption,
    FubonKeepSdkLogOption,
    FubonTestOption,
    FubonTimeoutOption,
    FubonUnblockOption,
    FubonUrlOption,
    build_broker,
    connect_unless_stopped,
)
from tradeburst.cli._logging import configure_logging
from tradeburst.cli._options import non_negative, wait_ms, writable
from tradeburst.cli._output import OUTPUT_FAILED, keep_summary
from tradeburst.cli._progress import LiveView
from tradeburst.cli._rush_options import (
    DEFAULT_DELAYED_MS,
    DEFAULT_REALTIME_MS,
    RANDOM_RANKING_NOTE,
    parse_at,
    thresholds,
)
from tradeburst.engine import (
    DEFAULT_GRACE_S,
    DEFAULT_HEADROOM_S,
    DEFAULT_MAX_ORDERS,
    DEFAULT_PRICE_COLLAR_PCT,
    FireOptions,
    FireResult,
    InputProblem,
    InvalidInput,
    Journal,
    JournalError,
    ManualPacing,
    RiskLimits,
    exit_code,
    fire,
    resume,
    rush,
)
from tradeburst.limits import PROFILES
from tradeburst.report import print_rejections, rejections_of
from tradeburst.rules import format_wait
from tradeburst.summary import FireError

__all__ = [
    "FIRE_HELP",
    "RUSH_HELP",
    "exit_with_problems",
    "finish",
    "measured",
    "resume_command",
    "send_command",
]

DEFAULT_URL = "http://127.0.0.1:8765"

Url = Annotated[
    str, typer.Option(envvar="TRADEBURST_URL", help="The broker: the rehearsal exchange's URL.")
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        envvar="TRADEBURST_API_KEY",
        show_envvar=True,
        help="The account's API key (prefer the environment or --api-key-file).",
    ),
]
ApiKeyFile = Annotated[
    Path | None, typer.Option(help="A file holding the API key; must be mode 0600.")
]
Profile = Annotated[
    str | None,
    typer.Option(help=f"Throttle by these limits ({', '.join(PROFILES)}) instead of the broker's."),
]
JsonPath = Annotated[Path | None, typer.Option("--json", help="Write the run summary here.")]
Concurrency = Annotated[
    int | None,
    typer.Option(min=1, max=1000, help="Requests in flight (default: the broker's connections)."),
]
GraceMs = Annotated[
    float,
    typer.Option(help="How long an order without an answer waits before the broker is asked."),
]
MaxRequestAge = Annotated[
    float | None,
    typer.Option(
        "--max-request-age",
        help="Seconds after it left that a request may still reach the broker: an order "
        "whose answer was lost is sent again only after this, and only if the broker does "
        "not have it. Default: the broker profile's (60 s).",
        show_default=False,
    ),
]
CancelOnAbort = Annotated[
    bool, typer.Option(help="On Ctrl-C, cancel the orders of the run that are still open.")
]


Orders = Annotated[
    Path,
    typer.Argument(help="Orders file: CSV with a header, or JSON Lines.", show_default=False),
]
JournalPath = Annotated[
    Path | None,
    typer.Option(help="Journal file (default: journal/DAY-RUNID.sqlite here)."),
]
ChunkSize = Annotated[
    int | None,
    typer.Option(min=1, help="The guide's manual pacing: single orders in chunks of N…"),
]
DelayMs = Annotated[
    float | None, typer.Option(help="…with this delay between chunks (needs --chunk-size).")
]
BatchSize = Annotated[
    int | None,
    typer.Option(min=1, help="Orders per batch call (default: the broker's maximum; 1: none)."),
]
DryRun = Annotated[
    bool, typer.Option(help="Check the orders and print the plan and its bound; send nothing.")
]
MaxOrders = Annotated[int, typer.Option(min=1, help="Most orders in one run.")]
MaxQty = Annotated[int | None, typer.Option(min=1, help="Most shares in one order.")]
MaxNotional = Annotated[str | None, typer.Option(help="Most TWD in one order (price × shares).")]
MaxRunQty = Annotated[int | None, typer.Option(min=1, help="Most shares in the run.")]
MaxRunNotional = Annotated[str | None, typer.Option(help="Most TWD in the run.")]
PriceCollarPct = Annotated[
    str, typer.Option(help="Farthest a limit price may be from the reference, in %.")
]
HeadroomMs = Annotated[float, typer.Option(help="Margin added to every limit window.")]
RealtimeMs = Annotated[
    float, typer.Option(help="The guide's 🟢 realtime: broker time within this of ours.")
]
DelayedMs = Annotated[float, typer.Option(help="🟡 delayed within this; 🔴 severe beyond.")]


At = Annotated[
    str | None,
    typer.Option(
        help="rush: when the first order leaves, HH:MM:SS[.ffffff], exchange time (Asia/Taipei).",
        show_default=False,
    ),
]
AdminKey = Annotated[
    str | None,
    typer.Option(
        envvar="TRADEBURST_ADMIN_KEY",
        show_envvar=True,
        help="rush: the rehearsal exchange's admin key, to read its receive stamps for the "
        "fire error too.",
    ),
]

FIRE_HELP = """Send every order of ORDERS as fast as the broker's limits allow: each one once,
none lost. Nothing is sent if any order is wrong."""
RUSH_HELP = f"""Send ORDERS at an exact exchange time (--at): everything is checked,
journaled, built and connected ahead, and the first order leaves at --at, never before.
{RANDOM_RANKING_NOTE}"""


def send_command(
    ctx: typer.Context,
    orders: Orders,
    at: At = None,
    url: Url = DEFAULT_URL,
    api_key: ApiKey = None,
    api_key_file: ApiKeyFile = None,
    admin_key: AdminKey = None,
    profile: Profile = None,
    journal: JournalPath = None,
    json_path: JsonPath = None,
    chunk_size: ChunkSize = None,
    delay_ms: DelayMs = None,
    concurrency: Concurrency = None,
    batch_size: BatchSize = None,
    dry_run: DryRun = False,
    max_orders: MaxOrders = DEFAULT_MAX_ORDERS,
    max_qty: MaxQty = None,
    max_notional: MaxNotional = None,
    max_run_qty: MaxRunQty = None,
    max_run_notional: MaxRunNotional = None,
    price_collar_pct: PriceCollarPct = str(DEFAULT_PRICE_COLLAR_PCT),
    grace_ms: GraceMs = DEFAULT_GRACE_S * 1000,
    headroom_ms: HeadroomMs = DEFAULT_HEADROOM_S * 1000,
    max_request_age: MaxRequestAge = None,
    cancel_on_abort: CancelOnAbort = False,
    realtime_ms: RealtimeMs = DEFAULT_REALTIME_MS,
    delayed_ms: DelayedMs = DEFAULT_DELAYED_MS,
    broker: BrokerOption = BrokerName.SIM,
    fubon_config: FubonConfigOption = None,
    fubon_test: FubonTestOption = False,
    fubon_unblock: FubonUnblockOption = False,
    fubon_url: FubonUrlOption = None,
    fubon_timeout_s: FubonTimeoutOption = None,
    fubon_keep_sdk_log: FubonKeepSdkLogOption = None,
) -> None:
    """`fire` and `rush`: one command under two names, `rush` with a target time."""
    rushing = ctx.info_name == "rush"
    json_path = writable(json_path, "--json")
    target = _target(rushing, at, chunk_size, delay_ms)
    options = FireOptions(
        profile=_profile(profile),
        journal=journal,
        concurrency=concurrency,
        max_batch=batch_size,
        pacing=_pacing(chunk_size, delay_ms),
        risk=_risk(
            max_orders, max_qty, max_notional, max_run_qty, max_run_notional, price_collar_pct
        ),
        grace_s=_grace_s(grace_ms),
        headroom_s=non_negative(headroom_ms, "--headroom-ms") / 1000,
        max_request_age_s=request_age_s(max_request_age),
        cancel_on_abort=cancel_on_abort,
        thresholds=thresholds(realtime_ms, delayed_ms),
    )
    console = Console(highlight=False, soft_wrap=True)
    sim_url = _url(url) if broker is BrokerName.SIM else None
    choice = BrokerChoice(
        name=broker, url=sim_url, concurrency=concurrency, fubon_url=fubon_url,
        fubon_timeout_s=fubon_timeout_s, fubon_keep_sdk_log=fubon_keep_sdk_log,
    )  # fmt: skip
    chosen = _broker(choice, api_key, api_key_file, fubon_config, fubon_test, fubon_unblock)
    receipts = exchange_receipts(sim_url, admin_key) if target and sim_url and admin_key else None
    configure_logging()
    if target is not None:
        console.print(f"[dim]{RANDOM_RANKING_NOTE}[/]")
    if options.pacing is not None and options.pacing.delay_s >= 1:
        console.print(
            f"paced: chunks of {options.pacing.chunk_size} orders, waiting "
            f"{format_wait(options.pacing.delay_s)} between chunks"
        )

    async def work(stop: asyncio.Event, view: LiveView | None) -> FireResult:
        watch = view.watch if view else None
        try:
            if broker is BrokerName.FUBON:  # its login may hang: Ctrl-C must end it
                await connect_unless_stopped(chosen, stop, console)
            if target is None:
                return await fire(orders, chosen, options, dry_run=dry_run, stop=stop, watch=watch)
            return await rush(
                orders,
                chosen,
                options,
                target,
                dry_run=dry_run,
                receipts=receipts,
                stop=stop,
                watch=watch,
                notify=console.print,
            )
        finally:
            await chosen.aclose()

    finish(console, _run(console, work, live=not dry_run), json_path)


def _target(
    rushing: bool, at: str | None, chunk_size: int | None, delay_ms: float | None
) -> time_of_day | None:
    """The rush's target; what only one of the two commands takes is refused in the other."""
    if not rushing:
        if at is not None:
            raise typer.BadParameter(
                "fire sends at once; use `tradeburst rush --at`", param_hint="--at"
            )
        return None
    if at is None:
        raise typer.BadParameter("rush needs the time of its first order", param_hint="--at")
    if chunk_size is not None or delay_ms is not None:
        raise typer.BadParameter(
            "a rush sends as fast as the limits allow; pacing is for fire",
            param_hint="--chunk-size, --delay-ms",
        )
    return parse_at(at)


def finish(console: Console, result: FireResult, json_path: Path | None) -> None:
    """Print the outcome, write the summary, exit with DESIGN.md's code."""
    if result.dry_run:
        _print_plan(console, result)
    else:
        result.summary.rejections = rejections_of(result.intents)
        _print_result(console, result)
    code = 0 if result.dry_run else exit_code(result)
    if not keep_summary(console, result.summary, json_path) and code == 0:
        code = OUTPUT_FAILED
    raise typer.Exit(code)


def resume_command(
    journal: Annotated[
        Path, typer.Option(help="The journal of the run to finish.", show_default=False)
    ],
    url: Annotated[
        str | None,
        typer.Option(envvar="TRADEBURST_URL", help="The broker (default: the journal's)."),
    ] = None,
    api_key: ApiKey = None,
    api_key_file: ApiKeyFile = None,
    profile: Profile = None,
    json_path: JsonPath = None,
    concurrency: Concurrency = None,
    grace_ms: GraceMs = DEFAULT_GRACE_S * 1000,
    max_request_age: MaxRequestAge = None,
    cancel_on_abort: CancelOnAbort = False,
    broker: Annotated[
        BrokerName | None,
        typer.Option("--broker", help="The broker (default: the one the run used)."),
    ] = None,
    fubon_config: FubonConfigOption = None,
    fubon_test: FubonTestOption = False,
    fubon_unblock: FubonUnblockOption = False,
    fubon_url: FubonUrlOption = None,
    fubon_timeout_s: FubonTimeoutOption = None,
    fubon_keep_sdk_log: FubonKeepSdkLogOption = None,
) -> None:
    """After a crash or an abort: ask the broker what it has of the run, then send what it
    does not. Nothing is placed twice."""
    json_path = writable(json_path, "--json")
    options = FireOptions(
        profile=_profile(profile),
        concurrency=concurrency,
        grace_s=_grace_s(grace_ms),
        max_request_age_s=request_age_s(max_request_age),
        cancel_on_abort=cancel_on_abort,
    )
    console = Console(highlight=False, soft_wrap=True)
    used, used_url = _journal_broker(journal)
    name = broker or used
    target = (_url(url) if url else used_url) if name is BrokerName.SIM else used_url
    choice = BrokerChoice(
        name=name, url=target, concurrency=concurrency, fubon_url=fubon_url,
        fubon_timeout_s=fubon_timeout_s, fubon_keep_sdk_log=fubon_keep_sdk_log,
    )  # fmt: skip
    chosen = _broker(choice, api_key, api_key_file, fubon_config, fubon_test, fubon_unblock)
    configure_logging()

    async def work(stop: asyncio.Event, view: LiveView | None) -> FireResult:
        try:
            if name is BrokerName.FUBON:  # its login may hang: Ctrl-C must end it
                await connect_unless_stopped(chosen, stop, console)
            return await resume(
                journal, chosen, options, stop=stop, watch=view.watch if view else None
            )
        finally:
            await chosen.aclose()

    finish(console, _run(console, work, live=True), json_path)


def _broker(
    choice: BrokerChoice,
    api_key: str | None,
    api_key_file: Path | None,
    fubon_config: Path | None,
    fubon_test: bool,
    fubon_unblock: bool,
) -> Broker:
    """`choice` with the credentials options, built (raises typer's usage errors)."""
    return build_broker(
        dataclasses.replace(
            choice,
            api_key=api_key,
            api_key_file=api_key_file,
            fubon_config=fubon_config,
            fubon_test=fubon_test,
            fubon_unblock=fubon_unblock,
        ),
        Console(highlight=False, soft_wrap=True),
    )


# -- running ----------------------------------------------------------------------------


def _run(
    console: Console,
    work: Callable[[asyncio.Event, LiveView | None], Awaitable[FireResult]],
    *,
    live: bool,
) -> FireResult:
    """Run `work` with Ctrl-C wired to its stop event; map the errors a user can cause to a
    message and exit code 2."""

    async def main() -> FireResult:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()

        def interrupt() -> None:
            if stop.is_set() and current is not None:
                current.cancel()  # a second Ctrl-C: stop waiting for answers
            else:
                console.print("[yellow]stopping: no new orders; waiting for answers…[/]")
                stop.set()

        loop.add_signal_handler(signal.SIGINT, interrupt)
        view = LiveView(console) if live else None
        with view if view else contextlib.nullcontext():
            ticker = asyncio.create_task(_tick(view)) if view else None
            try:
                return await work(stop, view)
            finally:
                if ticker:
                    ticker.cancel()

    error = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        return asyncio.run(main())
    except InvalidInput as exc:
        exit_with_problems(error, exc)
    except JournalError as exc:
        error.print(f"[red]{escape(str(exc))}[/]", emoji=False)
        raise typer.Exit(2) from None
    except BrokerError as exc:
        error.print(f"[red]broker: {escape(str(exc))}[/]", emoji=False)
        raise typer.Exit(2) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        error.print(
            "[red]interrupted; run `tradeburst resume --journal PATH` with the journal "
            "printed above to finish[/]"
        )
        raise typer.Exit(130) from None


async def _tick(view: LiveView) -> None:
    while True:
        view.refresh()
        await asyncio.sleep(0.1)


# -- options ----------------------------------------------------------------------------


def _profile(name: str | None) -> str | None:
    if name is not None and name not in PROFILES:
        raise typer.BadParameter(
            f"{name!r} is not one of {', '.join(PROFILES)}", param_hint="--profile"
        )
    return name


TAIPEI = ZoneInfo("Asia/Taipei")
MIN_GRACE_MS = 100.0
MAX_REQUEST_AGE_S = 86_400.0
"""Below this, a lost answer would be asked about before the order could have arrived."""


def _grace_s(grace_ms: float) -> float:
    if non_negative(grace_ms, "--grace-ms") < MIN_GRACE_MS:
        raise typer.BadParameter(f"must be at least {MIN_GRACE_MS:g} ms", param_hint="--grace-ms")
    return grace_ms / 1000


def request_age_s(seconds: float | None) -> float | None:
    """--max-request-age: a positive number of seconds, at most a day."""
    if seconds is None:
        return None
    if not 0 < seconds <= MAX_REQUEST_AGE_S:
        raise typer.BadParameter(
            f"must be more than 0 and at most {MAX_REQUEST_AGE_S:g} s",
            param_hint="--max-request-age",
        )
    return seconds


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) < 10:
        raise typer.BadParameter(f"{value!r} is not a URL like {DEFAULT_URL}", param_hint="--url")
    return value


def _pacing(chunk_size: int | None, delay_ms: float | None) -> ManualPacing | None:
    if chunk_size is None and delay_ms is None:
        return None
    if chunk_size is None or delay_ms is None:
        raise typer.BadParameter("give both or neither", param_hint="--chunk-size, --delay-ms")
    return ManualPacing(chunk_size=chunk_size, delay_s=wait_ms(delay_ms, "--delay-ms") / 1000)


def _twd(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except ArithmeticError:
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0:
        raise typer.BadParameter(f"{value!r} is not a positive amount", param_hint=option)
    return amount


def _risk(
    max_orders: int,
    max_qty: int | None,
    max_notional: str | None,
    max_run_qty: int | None,
    max_run_notional: str | None,
    price_collar_pct: str,
) -> RiskLimits:
    return RiskLimits(
        max_orders=max_orders,
        max_qty=max_qty,
        max_notional_twd=_twd(max_notional, "--max-notional"),
        max_run_qty=max_run_qty,
        max_run_notional_twd=_twd(max_run_notional, "--max-run-notional"),
        price_collar_pct=_twd(price_collar_pct, "--price-collar-pct"),
    )


def _journal_broker(journal: Path) -> tuple[BrokerName, str]:
    """The broker a run used, and its URL, as its journal keeps them."""
    try:
        with Journal(journal, create=False) as opened:
            run = opened.run()
    except JournalError as exc:
        raise typer.BadParameter(str(exc), param_hint="--journal") from None
    try:
        return BrokerName(run.broker), run.url
    except ValueError:
        raise typer.BadParameter(
            f"{journal}: the run used broker {run.broker!r}; give --broker", param_hint="--journal"
        ) from None


# -- output -----------------------------------------------------------------------------


def _print_plan(console: Console, result: FireResult) -> None:
    schedule = result.plan
    table = Table(title=f"Plan: {schedule.orders} orders under the {result.profile.name} limits")
    for column in ("at (s)", "batch calls", "orders"):
        table.add_column(column, justify="right")
    windows = schedule.windows()
    for at_s, calls, orders in windows[:20]:
        table.add_row(f"{at_s:.3f}", str(calls), str(orders))
    if len(windows) > 20:
        table.add_row("…", "", f"{len(windows) - 20} more send times")
    console.print(table)
    console.print(
        f"lower bound: {schedule.last_send_s:.3f} s of limits + one round trip "
        f"({len(schedule.steps)} request{'' if len(schedule.steps) == 1 else 's'}; "
        "dry run, nothing sent)"
    )


def _print_result(console: Console, result: FireResult) -> None:
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
        table.add_row("fire error (ours)", _fire_error_text(result, timing.fire_error_us))
        table.add_row(
            "fire error (exchange)", _fire_error_text(result, timing.exchange_fire_error_us)
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
    console.print(table)
    print_rejections(console, summary.rejections)
    if result.journal is not None:
        console.print(f"journal: {result.journal}")
    if result.fatal:
        console.print(f"[red]the broker refused us, sending stopped: {result.fatal}[/]")
    print_late_duplicates(console, result)
    dispatch = result.dispatch
    if dispatch is not None and dispatch.target_ns is not None and not dispatch.opening_sends_ns:
        console.print(
            "[yellow]nothing was sent: run the rush again (`resume` would send at once)[/]"
        )
    elif orders.unknown or orders.not_sent or result.interrupted:
        console.print(
            f"[yellow]not finished: run `tradeburst resume --journal {result.journal}`[/]"
        )


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
        until = datetime.fromtimestamp(result.watch_until_ns / 1e9, TAIPEI)
        console.print(
            "[bold red]the late-duplicate watch was cut short: an order sent again may "
            f"still be joined by its late first request until {until:%H:%M:%S}; check the "
            "account's orders until then[/]"
        )


def measured(value: float | None, spec: str, unit: str = "") -> str:
    """A figure as text, or "not measured" where the run has none (never a made-up 0)."""
    return "not measured" if value is None else f"{value:{spec}}{unit}"


def _fire_error_text(result: FireResult, error: FireError | None) -> str:
    if result.dispatch is None or not result.dispatch.opening_sends_ns:
        return "nothing sent at the target"
    if error is None:
        return "not read (needs --admin-key)"
    return f"p50 {error.p50:.0f} / p99 {error.p99:.0f} / max {error.max:.0f} µs"


REPEATS_LISTED = 3
"""A reason found at more lines than this is said once, with its count and first lines."""


def problem_lines(problems: list[InputProblem]) -> list[str]:
    """One line per problem, in order; a reason repeated at many places said once, where it
    first appears, with its count and its first places."""
    groups: dict[str, list[InputProblem]] = {}
    for problem in problems:
        groups.setdefault(problem.reason, []).append(problem)
    lines: list[str] = []
    for group in groups.values():
        if len(group) <= REPEATS_LISTED:
            lines += [str(problem) for problem in group]
            continue
        first, *others = group
        places = ", ".join(_place(p) for p in others[:REPEATS_LISTED])
        lines.append(f"{first} (and {len(others)} more: {places}, …)")
    return lines


def _place(problem: InputProblem) -> str:
    return problem.path if problem.line is None else f"{problem.path}:{problem.line}"


def exit_with_problems(error: Console, exc: InvalidInput) -> NoReturn:
    """Every problem found in the input, then exit 2: nothing was sent. A reason repeated
    at many lines is said once with its count (70,178 identical lines told nothing more)."""
    for line in problem_lines(exc.problems):
        error.print(line, markup=False, emoji=False)
    count = len(exc.problems)
    error.print(f"[red]{count} problem{'s' if count != 1 else ''}; nothing was sent[/]")
    raise typer.Exit(2) from None
