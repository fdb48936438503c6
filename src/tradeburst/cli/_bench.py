"""`tradeburst bench …`: benchmarks that print ratios measured side by side in one run.
Each command imports its benchmark when it runs: the benchmarks pull in the hot path,
the process pools and aiohttp servers, which no other command should pay for at start."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tradeburst._platform import run_loop
from tradeburst.cli._bench_timeline import timeline_bench
from tradeburst.cli._output import figures_text, keep_figures
from tradeburst.cli._values import writable

__all__ = ["bench_app"]

bench_app = typer.Typer(
    help="Benchmarks: figures measured side by side in one run.", no_args_is_help=True
)

FiguresJson = Annotated[Path | None, typer.Option("--json", help="Write the figures here.")]


@bench_app.command("exchange")
def exchange_bench(
    json_path: FiguresJson = None,
    orders: Annotated[int, typer.Option(min=100, help="Orders per measurement.")] = 20_000,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Requests in flight over HTTP.")
    ] = 16,
    rounds: Annotated[
        int, typer.Option(min=1, max=20, help="Alternate rounds of exchange and bare handler.")
    ] = 3,
) -> None:
    """Orders matched per second in-process, and over HTTP beside a bare aiohttp handler."""
    from tradeburst.bench import run_exchange_bench

    json_path = writable(json_path, "--json")
    console = Console(highlight=False)
    figures = run_loop(run_exchange_bench(orders=orders, concurrency=concurrency, rounds=rounds))
    for key, value in figures.items():
        console.print(
            f"{key:>22}  {value:,.1f}" if isinstance(value, float) else f"{key:>22}  {value}"
        )
    keep_figures(console, figures, json_path)


@bench_app.command("engine")
def engine_bench(
    json_path: FiguresJson = None,
    efficiency_orders: Annotated[
        list[int] | None,
        typer.Option(
            min=1,
            max=100_000,
            metavar="N",
            help="Job sizes for burst efficiency, repeatable [100 500 2000].",
        ),
    ] = None,
    overhead_orders: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Orders per overhead round.")
    ] = 4000,
    overhead_rounds: Annotated[
        int, typer.Option(min=1, max=100, help="Overhead rounds (their median is kept).")
    ] = 6,
    memory_orders: Annotated[
        int, typer.Option(min=1, max=100_000, help="Orders in flight for the memory figures.")
    ] = 10_000,
    memory_latency_ms: Annotated[
        int,
        typer.Option(
            min=1, max=60_000, help="How long the memory figures' exchange takes to answer."
        ),
    ] = 2000,
    latency_orders: Annotated[
        int,
        typer.Option(
            min=0,
            max=100_000,
            help="Orders per run of efficiency at 30 and 80 ms of latency, slots released "
            "from the answer beside the broker's stamp (0 leaves it out).",
        ),
    ] = 2000,
    scale: Annotated[
        bool, typer.Option("--scale", help="Measure how cost grows with the job's size instead.")
    ] = False,
    scale_sizes: Annotated[
        str,
        typer.Option(metavar="N,N,…", help="Job sizes for --scale, comma-separated."),
    ] = "1000,10000,100000",
) -> None:
    """Burst efficiency, engine overhead and memory, each beside its plain alternative.

    Burst efficiency under the Fubon limits beside manual pacing, engine overhead beside a
    bare aiohttp loop, memory with 10,000 orders in flight beside threads, and efficiency
    at 30 and 80 ms of latency with --release answer beside broker-stamp. The defaults
    give the published figures; smaller sizes make a quick smoke run. With --scale: orders/s,
    RSS growth and the per-order costs of 1k, 10k and 100k orders (profile none), side by side.
    """
    from tradeburst.bench import EngineSizes, run_engine_bench, run_scale_bench

    json_path = writable(json_path, "--json")
    if scale:
        counts = _scale_counts(scale_sizes)
        console = Console(highlight=False)
        console.print(f"measuring {', '.join(f'{n:,}' for n in counts)} orders…")
        _show_and_keep(console, run_loop(run_scale_bench(counts)), json_path)
        return
    sizes = EngineSizes(
        overhead_orders=overhead_orders,
        overhead_rounds=overhead_rounds,
        memory_orders=memory_orders,
        memory_latency_ms=memory_latency_ms,
        latency_orders=latency_orders,
    )
    if efficiency_orders:
        sizes = dataclasses.replace(sizes, efficiency=tuple(efficiency_orders))
    console = Console(highlight=False)
    console.print("measuring (about three minutes)…" if sizes == EngineSizes() else "measuring…")
    figures = run_loop(run_engine_bench(sizes))
    _show_and_keep(console, figures, json_path)


@bench_app.command("throttle")
def throttle_bench(
    json_path: FiguresJson = None,
    redis: Annotated[
        str | None, typer.Option(help="A Redis to use (default: start redis-server here).")
    ] = None,
    rounds: Annotated[int, typer.Option(min=10, max=100_000, help="Acquires timed.")] = 2000,
    bots: Annotated[int, typer.Option(min=2, max=5, help="Bots on one account.")] = 3,
    orders: Annotated[int, typer.Option(min=10, max=2000, help="Orders per bot.")] = 300,
) -> None:
    """Several bots on one account without and with a shared throttle, and its cost.

    The bots' refusals and spans without and with `--throttle`, beside one process sending
    all their orders; an acquire and a release on Redis beside this process's throttle.
    """
    from tradeburst.bench import run_throttle_bench

    json_path = writable(json_path, "--json")
    console = Console(highlight=False)
    figures = run_loop(
        run_throttle_bench(redis_url=redis, rounds=rounds, bots=bots, orders=orders,
                           concurrency=10 // bots)
    )  # fmt: skip
    for key, value in figures.items():
        console.print(f"{key:>32}  {value}")
    keep_figures(console, figures, json_path)


@bench_app.command("rush")
def rush_bench(
    json_path: FiguresJson = None,
    rushes: Annotated[int, typer.Option(min=1, max=10_000, help="Rushes per way.")] = 100,
    load: Annotated[
        bool, typer.Option("--load", help="Also each rush with a CPU hog on every core.")
    ] = False,
) -> None:
    """How late a rush's first order leaves its target, beside naive sleeps.

    p50/p99/max over many rushes, beside a naive asyncio.sleep and time.sleep in the same
    run; with --load, each round again with a CPU hog on every core (fire_error_us_load),
    and whether the rush's last moments got raised priority.
    """
    from tradeburst.bench import run_rush_bench

    json_path = writable(json_path, "--json")
    console = Console(highlight=False)
    seconds = rushes * 3 * 2 * (2 if load else 1)
    console.print(f"measuring {rushes} rushes of each way (about {seconds:.0f} s)…")
    with _sigterm_as_exit():
        figures = run_loop(run_rush_bench(rushes, load=load))
    _show_and_keep(console, figures, json_path)


@bench_app.command("fubon")
def fubon_bench(
    json_path: FiguresJson = None,
    idle_s: Annotated[
        float, typer.Option(min=1, max=600, help="Seconds the idle CPU is measured over.")
    ] = 10.0,
    orders: Annotated[
        int, typer.Option(min=100, max=1_000_000, help="Orders per round of the Order costs.")
    ] = 20_000,
) -> None:
    """The real fubon_neo SDK's idle CPU and the cost of building its Order.

    Idle CPU of a worker holding the SDK beside a bare worker over the same window, and
    building the SDK Order beside the pipe's cost per order, in one run.
    """
    from tradeburst.bench import FubonBenchError, run_fubon_bench

    json_path = writable(json_path, "--json")
    console = Console(highlight=False)
    console.print(f"measuring (about {idle_s + 15:.0f} s)…")
    try:
        figures = run_loop(run_fubon_bench(idle_s=idle_s, orders=orders))
    except FubonBenchError as exc:
        Console(stderr=True, highlight=False).print(f"[red]bench fubon: {escape(str(exc))}[/]")
        raise typer.Exit(2) from None
    _show_and_keep(console, figures, json_path)


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """While a benchmark measures, SIGTERM ends it as Ctrl-C does, through its cleanup:
    its shared memory unlinked, its spinning child processes stopped (by default the
    signal kills this process at once and leaves them spinning, orphaned). The handler
    before is put back after."""
    before = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


@bench_app.command("hotpath")
def hotpath_bench(
    json_path: FiguresJson = None,
    samples: Annotated[
        int,
        typer.Option(
            min=100, max=1_000_000, help="Ticks measured per path (polling: --polling-s)."
        ),
    ] = 5000,
    wire_samples: Annotated[
        int, typer.Option(min=10, max=100_000, help="Orders sent for tick → order on the wire.")
    ] = 300,
    interval_us: Annotated[
        int,
        typer.Option(min=20, max=1_000_000, help="Microseconds between ticks from the producer."),
    ] = 200,
    polling_s: Annotated[
        float,
        typer.Option(min=0.5, max=600, help="Seconds of 100 ms polling, one tick a millisecond."),
    ] = 2.0,
    realtime: Annotated[
        bool, typer.Option(help="Ask for SCHED_FIFO for the consumers where permitted.")
    ] = True,
) -> None:
    """Tick → decision across processes, over a busy-poll ring beside the usual queues.

    The busy-poll ring (kept warm, and not) beside an asyncio queue, a thread queue,
    WebSocket push and 100 ms polling; tick → order on the wire; and what the machine took
    from the consumer's core meanwhile.
    """
    from tradeburst.bench import hotpath_goal_text, run_hotpath_bench

    json_path = writable(json_path, "--json")
    console = Console(highlight=False)
    with _sigterm_as_exit():
        figures = run_loop(
            run_hotpath_bench(
                samples=samples,
                wire_samples=wire_samples,
                interval_us=interval_us,
                polling_s=polling_s,
                realtime=realtime,
                progress=lambda path: console.print(f"measuring {path} …"),
            )
        )
    ring_p99 = figures["tick_to_decision_us"]["ring"]["p99"]
    console.print(
        f"{'tick → decision (µs)':<20}{'p50':>10}{'p99':>10}{'p99.9':>10}{'÷ ring':>10}"
        f"{'stolen %':>9}{'irqs/s':>8}"
    )
    rows = [*figures["tick_to_decision_us"].items(), ("wire", figures["tick_to_wire_us"])]
    conditions = figures["conditions"]
    for path, row in rows:
        label = "tick → wire" if path == "wire" else path
        console.print(
            f"{label:<20}{row['p50']:>10,.1f}{row['p99']:>10,.1f}{row['p999']:>10,.1f}"
            f"{row['p99'] / ring_p99:>9,.1f}x{_core_text(conditions['consumer_core'].get(path))}"
        )
    console.print(hotpath_goal_text(figures["goal"]))
    if conditions["bare_core_probe"] is not None:  # the host's pauses, beside the goal
        console.print(_probe_text(conditions["bare_core_probe"]))
    if conditions["ring_page_faults"] is not None:
        console.print(
            f"  page faults in the ring consumer's measured rounds: "
            f"{conditions['ring_page_faults']:,}"
        )
    console.print(
        "  stolen %, irqs/s: what the host and the kernel took from the consumer's core\n"
        "  while each path was measured (the ring's row covers both of its rows and the\n"
        "  probes); a tail is the machine's when these are high"
    )
    for note in figures["conditions"]["notes"]:
        console.print(f"  note: {note}")
    keep_figures(console, figures, json_path)


@bench_app.command("seed-table")
def seed_table_bench(
    json_path: FiguresJson = None,
    markdown_path: Annotated[
        Path | None, typer.Option("--markdown", help="Write the table here.")
    ] = None,
    png_path: Annotated[Path | None, typer.Option("--png", help="Write the chart here.")] = None,
    io_orders: Annotated[int, typer.Option(min=10, help="Orders per I/O approach.")] = 400,
    sequential_orders: Annotated[
        int, typer.Option(min=2, help="Orders for the sequential client (50 ms each).")
    ] = 40,
    cpu_tasks: Annotated[int, typer.Option(min=1, help="Price series per CPU approach.")] = 12,
    cpu_length: Annotated[int, typer.Option(min=100, help="Prices in each series.")] = 60_000,
    workers: Annotated[
        int, typer.Option(min=1, max=200, help="Threads, connections or tasks in flight.")
    ] = 50,
    processes: Annotated[int, typer.Option(min=1, max=64, help="Multiprocessing pool size.")] = 8,
    hotpath_json: Annotated[
        Path | None,
        typer.Option(help="A `bench hotpath` JSON whose ring p99 goes beside the µs branch."),
    ] = None,
) -> None:
    """Six concurrency approaches measured on I/O and CPU work, with a decision tree.

    Sequential, threads, multiprocessing, asyncio (pooled and one session each) and
    run_in_executor side by side, pooled against unpooled connections, and the decision tree
    with the figures.
    """
    from tradeburst.bench import (
        SeedSizes,
        run_seed_table,
        seed_decision_tree,
        seed_markdown,
        write_seed_png,
    )

    if png_path is not None and png_path.suffix.lower() != ".png":
        raise typer.BadParameter(f"{png_path} does not end in .png", param_hint="--png")
    json_path = writable(json_path, "--json")
    markdown_path = writable(markdown_path, "--markdown")
    png_path = writable(png_path, "--png")
    ring_p99 = _ring_p99(hotpath_json)
    console = Console(highlight=False, soft_wrap=True)
    sizes = SeedSizes(
        io_orders=io_orders,
        sequential_orders=sequential_orders,
        cpu_tasks=cpu_tasks,
        cpu_length=cpu_length,
        workers=workers,
        processes=processes,
    )
    with _sigterm_as_exit():
        figures = run_loop(
            run_seed_table(sizes, progress=lambda step: console.print(f"measuring {step} …"))
        )
    table = seed_markdown(figures)
    console.print(table, markup=False)
    console.print(seed_decision_tree(figures, ring_p99), markup=False)
    for path, write in (
        (json_path, lambda p: p.write_text(figures_text(figures))),
        (markdown_path, lambda p: p.write_text(table)),
        (png_path, lambda p: write_seed_png(figures, p)),
    ):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write(path)
            console.print(f"written to {path}")


def _scale_counts(text: str) -> tuple[int, ...]:
    """`--scale-sizes`: whole numbers of orders, each from 1 to 1,000,000."""
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        counts = ()
    if not counts or len(counts) > 10 or not all(1 <= n <= 1_000_000 for n in counts):
        raise typer.BadParameter(
            f"{text[:40]!r}: give up to 10 comma-separated sizes from 1 to 1000000",
            param_hint="--scale-sizes",
        )
    return counts


def _show_and_keep(console: Console, figures: object, json_path: Path | None) -> None:
    console.print_json(json.dumps(figures))
    keep_figures(console, figures, json_path)


def _core_text(core: dict[str, float] | None) -> str:
    """A path's stolen share and interrupt rate, or nothing where they were not read."""
    if not core or not core.get("seconds"):
        return ""
    seconds = core["seconds"]
    return f"{core['steal_ms'] / 10 / seconds:>9.1f}{core['interrupts'] / seconds:>8,.0f}"


def _probe_text(probe: dict[str, float | None]) -> str:
    """The bare core's probe: the wait its pauses alone give a tick from outside."""
    threshold = f"{probe['threshold_us']:g} µs"

    def wait(key: str) -> str:
        value = probe[key]
        return f"under {threshold}" if value is None else f"{value:,.1f} µs"

    return (
        f"  the bare consumer core, probed between the ring's rounds: {probe['lost_pct']:.2f} %"
        f" of its\n  time went in {probe['pauses_per_s']:,.0f} pauses a second over {threshold}"
        f" (longest {probe['longest_pause_us']:,.0f} µs); a tick\n  arriving at a random"
        f" moment (from the network) would wait {wait('p99_wait_us')} at p99\n"
        f"  and {wait('p999_wait_us')} at p99.9 for those pauses alone. A pause that stops"
        f" both cores\n  before a tick is stamped delays the stamp too: the ring's figure"
        f" does not\n  count it."
    )


def _ring_p99(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        return float(json.loads(path.read_text())["tick_to_decision_us"]["ring"]["p99"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise typer.BadParameter(
            f"{path}: not a `bench hotpath` JSON ({exc})", param_hint="--hotpath-json"
        ) from None


bench_app.command("timeline")(timeline_bench)
