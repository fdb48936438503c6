"""One size of `bench engine --scale`, in a process of its own so that its peak RSS is its
own: run as `python -m tradeburst.bench._scale_worker URL KEY ORDERS.csv FOLDER`, it fires
the file at the exchange (every limit of profile none off, the run journaled to a SQLite
file in FOLDER) and prints its figures as one JSON object.

- orders/s: the orders ÷ the dispatch's elapsed time, as the summary reports it;
- CPU per order, which a shared machine's load does not move as it moves orders/s: the
  whole `fire` (reading, checking, journaling, sending, the fills read at the end: the
  engine process's CPU time, every thread), and the dispatch alone (sending), per order;
  the dispatch's CPU ÷ its elapsed time is the share of a core the engine used (well under
  1: it was not what limited the rate);
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

import os
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from tradeburst._platform import peak_rss_kb, run_loop
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
MAX_ORDERS = 1_000_000


async def _measure(url: str, key: str, path: Path, folder: Path) -> dict[str, Any]:
    risk = RiskLimits(max_orders=MAX_ORDERS)  # the file is not read before the baseline
    broker = SimBroker(url, key)
    try:
        await broker.connect()
        instruments = await broker.instruments()
        before_kb = peak_rss_kb()
        options = FireOptions(journal=folder / "fire.sqlite", again=True, risk=risk)
        dispatchers: list[Dispatcher] = []
        fire_cpu_started_ns = time.process_time_ns()
        result = await fire(path, broker, options, watch=dispatchers.append)
        fire_cpu_s = (time.process_time_ns() - fire_cpu_started_ns) / 1e9
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
        "dispatch_cpu_us_per_order": cpu_s * 1e6 / counts.total,
        "dispatch_cpu_share": cpu_s / elapsed_s,
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


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Windows
        return None


def main(argv: list[str]) -> None:
    url, key, path, folder = argv
    load_before = _load_average()
    figures = run_loop(_measure(url, key, Path(path), Path(folder)))
    figures["load_average"] = [load_before, _load_average()]
    sys.stdout.write(msgspec.json.encode(figures).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
