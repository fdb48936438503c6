"""`tradeburst bench hotpath`: tick → decision latency across processes for the busy-poll
ring beside an asyncio queue, a thread queue, WebSocket push and 100 ms polling (each path
is described in `_hotpath_ends`), measured one after another in one run with the same
tick rate, cores and tuning; and tick → order on the wire from the rehearsal exchange's
own ring (`_hotpath_wire`). The producer runs on the first allowed core and the consumer
on the last, each in its own process started fresh (`spawn`). The ring is also read with
its decision path left to go cold (`ring_unwarmed`, in rounds taking turns with the
warm ones), and its consumer's core is probed bare between rounds (`measure_hiccups`).
For each path it keeps what the host did to the consumer's core meanwhile
(`_core_noise`), so a tail measured on a noisy neighbour's time can be told from the
code's own."""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
from array import array
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any, NamedTuple

from tradeburst._platform import allowed_cores
from tradeburst.bench import _hotpath_ends as ends
from tradeburst.bench._core_noise import CoreCounters, read_core
from tradeburst.bench._hotpath_goal import ring_goal
from tradeburst.bench._hotpath_wire import drive_trades, wire_consumer
from tradeburst.bench._servers import BENCH_KEY, exchange_server, serving
from tradeburst.hotpath import Hiccups, RingReader

__all__ = ["PATHS", "percentiles_us", "run_hotpath_bench"]

PATHS = ("ring", "asyncio_queue", "thread_queue", "websocket", "polling")
POLLING_TICK_S = 0.001
_RESULT_TIMEOUT_S = 120.0
_ctx = multiprocessing.get_context("spawn")


class Measured(NamedTuple):
    latencies_ns: array[int]
    notes: list[str]
    realtime: bool
    hiccups: Hiccups | None = None
    """The bare consumer core probed between rounds (the ring's path only)."""
    unwarmed_ns: array[int] | None = None
    """The ring read by rounds that do not keep the decision path warm."""
    page_faults: int | None = None
    """The ring consumer's page faults in its measured rounds."""


def percentiles_us(latencies_ns: Sequence[int]) -> dict[str, float]:
    """p50, p99 and p99.9 (nearest rank) in microseconds."""
    ordered = sorted(latencies_ns)
    if not ordered:
        return {"p50": float("nan"), "p99": float("nan"), "p999": float("nan")}

    def rank(q: float) -> float:
        # Nearest rank: the ⌈q·n⌉-th smallest (`round` would take halves to even); the
        # product rounded first, so 0.99 × 5000 is 4950, not 4950.000000000001.
        position = math.ceil(round(q * len(ordered), 9))
        return ordered[min(len(ordered) - 1, max(0, position - 1))] / 1000

    return {"p50": rank(0.50), "p99": rank(0.99), "p999": rank(0.999)}


async def run_hotpath_bench(
    *,
    samples: int = 5000,
    wire_samples: int = 300,
    interval_us: int = 200,
    polling_s: float = 2.0,
    realtime: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    allowed = sorted(allowed_cores() or range(os.cpu_count() or 1))
    producer_cpu, consumer_cpu = allowed[0], allowed[-1]
    interval_s = interval_us / 1e6
    notes: list[str] = []
    if producer_cpu == consumer_cpu:
        notes.append("only one core allowed: producer and consumer share it")
    figures: dict[str, Any] = {"tick_to_decision_us": {}}
    counts: dict[str, int] = {}
    noise: dict[str, dict[str, float]] = {}
    probe: dict[str, float | None] | None = None
    page_faults: int | None = None
    granted = False
    for path in PATHS:
        progress(path)
        wanted = int(polling_s / POLLING_TICK_S) if path == "polling" else samples
        before = read_core(consumer_cpu)
        measured = await _measure(path, wanted, interval_s, producer_cpu, consumer_cpu, realtime)
        _note_noise(noise, path, before, consumer_cpu)
        if measured.hiccups is not None:
            probe = _probe_figures(measured.hiccups)
        if measured.page_faults is not None:
            page_faults = measured.page_faults
        granted = granted or measured.realtime
        notes.extend(n for n in measured.notes if n not in notes)
        figures["tick_to_decision_us"][path] = percentiles_us(measured.latencies_ns)
        counts[path] = len(measured.latencies_ns)
        if measured.unwarmed_ns is not None:
            figures["tick_to_decision_us"][f"{path}_unwarmed"] = percentiles_us(
                measured.unwarmed_ns
            )
            counts[f"{path}_unwarmed"] = len(measured.unwarmed_ns)
    progress("wire")
    before = read_core(consumer_cpu)
    wire = await _measure_wire(wire_samples, consumer_cpu, realtime)
    _note_noise(noise, "wire", before, consumer_cpu)
    notes.extend(n for n in wire.notes if n not in notes)
    figures["tick_to_wire_us"] = percentiles_us(wire.latencies_ns)
    figures["goal"] = ring_goal(figures["tick_to_decision_us"])
    counts["wire"] = len(wire.latencies_ns)
    figures["conditions"] = {
        "samples": counts,
        "consumer_core": noise,
        "bare_core_probe": probe,
        "ring_page_faults": page_faults,
        "interval_us": interval_us,
        "producer_cpu": producer_cpu,
        "consumer_cpu": consumer_cpu,
        "sched_fifo": granted,
        "notes": notes,
    }
    return figures


async def _measure(
    path: str, samples: int, interval_s: float, producer_cpu: int, consumer_cpu: int, rt: bool
) -> Measured:
    stop = _ctx.Event()
    result_in, result_out = _ctx.Pipe(duplex=False)
    ticks = samples * 2 + 1000
    if path == "ring":
        owner = RingReader.create(f"tb-bench-{os.getpid()}")
        name = owner.name
        try:
            producer = _start(ends.ring_producer, name, stop, interval_s, producer_cpu)
            consumer = _start(ends.ring_consumer, name, samples, consumer_cpu, rt, result_out)
            result_out.close()
            return await _collect(result_in, stop, producer, consumer)
        finally:
            owner.close()
    if path in ("asyncio_queue", "thread_queue"):
        tick_in, tick_out = _ctx.Pipe(duplex=False)
        ready = _ctx.Event()
        producer = _start(
            ends.pipe_producer, tick_out, ready, stop, ticks, interval_s, producer_cpu
        )
        consumer = _start(
            ends.queue_consumer, path, tick_in, ready, samples, consumer_cpu, rt, result_out
        )
        for sent in (tick_in, tick_out, result_out):
            sent.close()
        return await _collect(result_in, stop, producer, consumer)
    port_in, port_out = _ctx.Pipe(duplex=False)
    tick_s = POLLING_TICK_S if path == "polling" else interval_s
    producer = _start(ends.server_producer, port_out, stop, ticks, tick_s, producer_cpu)
    port = await _receive(port_in)
    consumer = _start(ends.websocket_consumer, path, port, samples, consumer_cpu, rt, result_out)
    result_out.close()
    return await _collect(result_in, stop, producer, consumer)


async def _measure_wire(samples: int, consumer_cpu: int, realtime: bool) -> Measured:
    name = f"tb-wire-{os.getpid()}"
    result_in, result_out = _ctx.Pipe(duplex=False)
    async with serving(exchange_server("none", "--shm-feed", name)) as url:
        consumer = _start(
            wire_consumer, name, url, BENCH_KEY, samples, consumer_cpu, realtime, result_out
        )
        result_out.close()
        try:
            if await _receive(result_in) != "ready":
                raise RuntimeError("the wire consumer did not start")
            done = asyncio.Event()
            driver = asyncio.create_task(drive_trades(url, BENCH_KEY, done))
            try:
                outcome = await _receive(result_in)
            finally:
                done.set()
                await driver
        finally:
            await _end(consumer)
    return _unpack(outcome)


def _note_noise(
    noise: dict[str, dict[str, float]], path: str, before: CoreCounters | None, cpu: int
) -> None:
    after = read_core(cpu)
    if before is not None and after is not None:
        noise[path] = after.since(before)


def _start(target: Callable[..., None], *args: object) -> SpawnProcess:
    """The child gets its own copies of the pipe ends in `args`, so the caller closes the
    sending ends it keeps: a child that dies then reads as end of file at once, not as
    silence until the timeout."""
    process = _ctx.Process(target=target, args=args, daemon=True)
    process.start()
    return process


async def _collect(
    results: Connection, stop: Any, producer: SpawnProcess, consumer: SpawnProcess
) -> Measured:
    try:
        outcome = await _receive(results, consumer)
    finally:
        stop.set()
        await _end(consumer)
        await _end(producer)
    return _unpack(outcome)


async def _receive(results: Connection, process: SpawnProcess | None = None) -> Any:
    def wait() -> Any:
        if not results.poll(_RESULT_TIMEOUT_S):
            raise RuntimeError("a benchmark process gave no result in time")
        return results.recv()

    try:
        return await asyncio.to_thread(wait)
    except EOFError:
        code = process.exitcode if process is not None else None
        raise RuntimeError(f"a benchmark process ended without a result (exit {code})") from None


def _unpack(outcome: ends.Outcome) -> Measured:
    unwarmed = None if outcome.unwarmed is None else _latencies(outcome.unwarmed)
    return Measured(
        _latencies(outcome.latencies),
        list(outcome.notes),
        outcome.realtime,
        outcome.hiccups,
        unwarmed,
        outcome.page_faults,
    )


def _latencies(raw: bytes) -> array[int]:
    latencies = array("q")
    latencies.frombytes(raw)
    return latencies


def _probe_figures(hiccups: Hiccups) -> dict[str, float | None]:
    """The probe's figures for the JSON: a wait of None is under the threshold."""
    return {
        "probed_s": hiccups.seconds,
        "threshold_us": hiccups.threshold_ns / 1000,
        "lost_pct": hiccups.lost_fraction * 100,
        "pauses_per_s": hiccups.per_second,
        "longest_pause_us": hiccups.longest_us,
        "p99_wait_us": hiccups.wait_us(0.99),
        "p999_wait_us": hiccups.wait_us(0.999),
    }


async def _end(process: SpawnProcess) -> None:
    await asyncio.to_thread(process.join, 5)
    if process.is_alive():
        process.terminate()
        await asyncio.to_thread(process.join, 5)
