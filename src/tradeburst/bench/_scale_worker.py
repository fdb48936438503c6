"""One size of `bench engine --scale`, in a process of its own so that its peak RSS is its
own: run as `python -m tradeburst.bench._scale_worker URL KEY ORDERS.csv FOLDER [PID]`, it
fires the file at the exchange (every limit of profile none off, the run journaled to a
SQLite file in FOLDER) and prints its figures as one JSON object.

- orders/s: the orders ÷ the dispatch's elapsed time, as the summary reports it;
- CPU per order, which a shared machine's load does not move as it moves orders/s: the
  whole `fire` (reading, checking, journaling, sending, the fills read at the end: the
  engine process's CPU time, every thread), and the dispatch alone (sending), per order;
  the dispatch's CPU ÷ its elapsed time is the share of a core the engine used (well under
  1: it was not what limited the rate); and the exchange's (process PID) over the same
  fire, to the kernel's tick; and both sampled through the dispatch, so that the CPU per
  order of the run's last fifth ÷ its first fifth says whether a process's cost per order
  grows as the run goes on (the question a size's mean cannot answer on a shared machine);
- RSS growth: the peak RSS after the run minus the peak before it (imports done, the
  broker connected), per order;
- reading and validation: `read_orders` and `check_orders` on the same file, timed alone,
  elapsed and CPU;
- journaling: the same orders started durably in a fresh journal, each answer recorded and
  group-committed a thousand at a time (a burst's answers arrive in groups), the run
  finished, timed alone, elapsed and CPU (the journal's writer thread included);
- the machine's 1-minute load average before and after, to read the rates by.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from tradeburst._platform import peak_rss_kb, process_cpu_s, run_loop
from tradeburst.brokers import Instrument, SimBroker
from tradeburst.engine import (
    Dispatcher,
    FireOptions,
    Intent,
    IntentState,
    OrderRow,
    RiskLimits,
    RunRecord,
    check_orders,
    client_order_id,
    fire,
    read_orders,
)
from tradeburst.engine.journal import SqliteJournal

ANSWERS_PER_GROUP = 1000
SAMPLE_S = 0.1
MAX_ORDERS = 1_000_000


async def _measure(
    url: str, key: str, path: Path, folder: Path, exchange_pid: int | None
) -> dict[str, Any]:
    risk = RiskLimits(max_orders=MAX_ORDERS)  # the file is not read before the baseline
    broker = SimBroker(url, key)
    try:
        await broker.connect()
        instruments = await broker.instruments()
        before_kb = peak_rss_kb()
        options = FireOptions(journal=folder / "fire.sqlite", again=True, risk=risk)
        dispatchers: list[Dispatcher] = []
        exchange_cpu = _exchange_cpu_s(exchange_pid)
        fire_cpu_started_ns = time.process_time_ns()
        samples: list[_Sample] = []
        sampler = asyncio.create_task(_sample(dispatchers, exchange_pid, samples))
        try:
            result = await fire(path, broker, options, watch=dispatchers.append)
        finally:
            sampler.cancel()
        fire_cpu_s = (time.process_time_ns() - fire_cpu_started_ns) / 1e9
        exchange_cpu_after = _exchange_cpu_s(exchange_pid)
        after_kb = peak_rss_kb()
    finally:
        await broker.aclose()
    counts = result.summary.orders
    if counts.accepted != counts.total:
        raise SystemExit(f"{counts.accepted} of {counts.total} orders accepted: {counts}")
    rss_growth = None
    if before_kb is not None and after_kb is not None:
        rss_growth = (after_kb - before_kb) * 1024 / counts.total
    rows, _ = read_orders(path)
    elapsed_s = result.summary.timing.elapsed_s
    cpu_s = dispatchers[0].stats.cpu_ns / 1e9
    return {
        "orders": counts.total,
        "orders_per_s": counts.total / elapsed_s,
        "fire_cpu_us_per_order": fire_cpu_s * 1e6 / counts.total,
        "exchange_cpu_us_per_order": None
        if exchange_cpu is None or exchange_cpu_after is None
        else (exchange_cpu_after - exchange_cpu) * 1e6 / counts.total,
        "dispatch_cpu_us_per_order": cpu_s * 1e6 / counts.total,
        "dispatch_cpu_share": cpu_s / elapsed_s,
        **_growth_within_run(samples),
        "rss_baseline_mb": None if before_kb is None else before_kb / 1024,
        "rss_peak_mb": None if after_kb is None else after_kb / 1024,
        "rss_growth_bytes_per_order": rss_growth,
        **_checking_us(path, instruments, risk),
        **await _journaling_us(rows, folder),
    }


def _checking_us(
    path: Path, instruments: dict[str, Instrument], risk: RiskLimits
) -> dict[str, float]:
    started, cpu_started = time.perf_counter(), time.process_time()
    rows, _ = read_orders(path)
    read, cpu_read = time.perf_counter(), time.process_time()
    problems = check_orders(rows, instruments, risk, str(path))
    checked, cpu_checked = time.perf_counter(), time.process_time()
    if problems:
        raise SystemExit(f"{path}: {problems[0]}")
    count = len(rows)
    return {
        "reading_us_per_order": (read - started) * 1e6 / count,
        "reading_cpu_us_per_order": (cpu_read - cpu_started) * 1e6 / count,
        "validation_us_per_order": (checked - read) * 1e6 / count,
        "validation_cpu_us_per_order": (cpu_checked - cpu_read) * 1e6 / count,
    }


async def _journaling_us(rows: list[OrderRow], folder: Path) -> dict[str, float]:
    run_id = "SCALE0"
    intents = [
        Intent(seq=seq, line=row.line, tag=row.tag,
               order=msgspec.structs.replace(row.order, user_def=client_order_id(run_id, seq)))
        for seq, row in enumerate(rows)
    ]  # fmt: skip
    record = RunRecord(
        run_id=run_id, created_ns=time.time_ns(), command="fire", account="bench",
        broker="sim", url="", profile="none", source="scale", options={},
    )  # fmt: skip
    journal = await SqliteJournal.open(folder / "timed.sqlite", "create")
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        await journal.start_run(record, intents)
        for index, intent in enumerate(intents, 1):
            intent.state, intent.order_no, intent.attempts = IntentState.ACCEPTED, str(index), 1
            intent.sent_ns = intent.answered_ns = time.time_ns()
            journal.record(intent)
            if index % ANSWERS_PER_GROUP == 0:
                await journal.flush()
        await journal.flush()
        await journal.finish_run(run_id, time.time_ns())
        elapsed_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        await journal.aclose()
    return {
        "journaling_us_per_order": elapsed_s * 1e6 / len(rows),
        "journaling_cpu_us_per_order": cpu_s * 1e6 / len(rows),
    }


_Sample = tuple[int, float, float | None]
"""Orders answered so far, this process's CPU seconds, the exchange's."""


async def _sample(
    dispatchers: list[Dispatcher], exchange_pid: int | None, samples: list[_Sample]
) -> None:
    """Every `SAMPLE_S` through the dispatch: how many orders are answered, and the CPU
    time of both processes."""
    while True:
        if dispatchers:
            answered = len(dispatchers[0].stats.latencies_ns)
            samples.append((answered, time.process_time(), _exchange_cpu_s(exchange_pid)))
        await asyncio.sleep(SAMPLE_S)


def _growth_within_run(samples: Sequence[_Sample]) -> dict[str, float | None]:
    """CPU per order over the last fifth of the answered orders ÷ over the first fifth, for
    the engine and the exchange: above 1 where a process's cost per order grows with what
    the run has built up (its heap, its tables, the exchange's book), whatever the load,
    which both fifths meet alike only on average. None where the run was too short to
    sample (under a second or so)."""
    total = samples[-1][0] if samples else 0
    # Within the dispatch alone: the interval that holds its last answer also holds what
    # follows it (the journal's last write, the day's fills read), no order's cost.
    samples = [s for s in samples if 0 < s[0] < total]
    first = [s for s in samples if s[0] <= total // 5]
    last = [s for s in samples if s[0] >= total - total // 5]
    growth: dict[str, float | None] = {}
    for name, index in (("engine", 1), ("exchange", 2)):
        early = _per_order(first, index)
        late = _per_order(last, index)
        growth[f"{name}_cpu_last_fifth_over_first"] = (
            late / early if early and late is not None else None
        )
    return growth


def _per_order(samples: Sequence[_Sample], index: int) -> float | None:
    """CPU seconds per order answered from the first of `samples` to the last."""
    if len(samples) < 2:
        return None
    start, end = samples[0], samples[-1]
    cpu_start, cpu_end = start[index], end[index]
    if cpu_start is None or cpu_end is None or end[0] <= start[0]:
        return None
    return (cpu_end - cpu_start) / (end[0] - start[0])


def _exchange_cpu_s(pid: int | None) -> float | None:
    return None if pid is None else process_cpu_s(pid)


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Windows
        return None


def main(argv: list[str]) -> None:
    url, key, path, folder, *pid = argv
    load_before = _load_average()
    exchange_pid = int(pid[0]) if pid else None
    figures = run_loop(_measure(url, key, Path(path), Path(folder), exchange_pid))
    figures["load_average"] = [load_before, _load_average()]
    sys.stdout.write(msgspec.json.encode(figures).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
