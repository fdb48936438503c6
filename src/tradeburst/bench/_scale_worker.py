"""One size of `bench engine --scale`, in a process of its own so that its peak RSS is its
own: run as `python -m tradeburst.bench._scale_worker URL KEY ORDERS.csv FOLDER`, it fires
the file at the exchange (every limit of profile none off, the run journaled to a SQLite
file in FOLDER) and prints its figures as one JSON object.

- orders/s: the orders ÷ the dispatch's elapsed time, as the summary reports it;
- the dispatch's CPU: this process's CPU time over the dispatch, per order (flat when the
  engine's cost per order is), and ÷ the dispatch's elapsed time: the share of a core the
  engine used (well under 1: it was not what limited the rate);
- RSS growth: the peak RSS after the run minus the peak before it (imports done, the
  broker connected), per order;
- reading and validation: `read_orders` and `check_orders` on the same file, timed alone;
- journaling: the same orders started durably in a fresh journal, each answer recorded and
  group-committed a thousand at a time (a burst's answers arrive in groups), the run
  finished, timed alone.
"""

from __future__ import annotations

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
        result = await fire(path, broker, options, watch=dispatchers.append)
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
        "dispatch_cpu_us_per_order": cpu_s * 1e6 / counts.total,
        "dispatch_cpu_share": cpu_s / elapsed_s,
        "rss_baseline_mb": None if before_kb is None else before_kb / 1024,
        "rss_peak_mb": None if after_kb is None else after_kb / 1024,
        "rss_growth_bytes_per_order": rss_growth,
        **_checking_us(path, instruments, risk),
        "journaling_us_per_order": await _journaling_s(rows, folder) * 1e6 / len(rows),
    }


def _checking_us(
    path: Path, instruments: dict[str, Instrument], risk: RiskLimits
) -> dict[str, float]:
    started = time.perf_counter()
    rows, _ = read_orders(path)
    read = time.perf_counter()
    problems = check_orders(rows, instruments, risk, str(path))
    checked = time.perf_counter()
    if problems:
        raise SystemExit(f"{path}: {problems[0]}")
    return {
        "reading_us_per_order": (read - started) * 1e6 / len(rows),
        "validation_us_per_order": (checked - read) * 1e6 / len(rows),
    }


async def _journaling_s(rows: list[OrderRow], folder: Path) -> float:
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
        started = time.perf_counter()
        await journal.start_run(record, intents)
        for index, intent in enumerate(intents, 1):
            intent.state, intent.order_no, intent.attempts = IntentState.ACCEPTED, str(index), 1
            intent.sent_ns = intent.answered_ns = time.time_ns()
            journal.record(intent)
            if index % ANSWERS_PER_GROUP == 0:
                await journal.flush()
        await journal.flush()
        await journal.finish_run(run_id, time.time_ns())
        return time.perf_counter() - started
    finally:
        await journal.aclose()


def main(argv: list[str]) -> None:
    url, key, path, folder = argv
    figures = run_loop(_measure(url, key, Path(path), Path(folder)))
    sys.stdout.write(msgspec.json.encode(figures).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
