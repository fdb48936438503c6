"""One approach on one workload, in a process of its own so its memory and CPU are its
own: `python -m tradeburst.bench._seed_worker SPEC_JSON` prints one JSON line with the
work done, each item's time, the elapsed and CPU seconds of the work (children included,
interpreter start excluded) and the peak RSS the kernel saw. Multiprocessing starts its
pool (spawned interpreters, one per worker process) before the clock, as a server
would keep one; the others open their connections on the clock."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from typing import Any

from tradeburst._platform import peak_rss_kb
from tradeburst.bench import _seed_cpu, _seed_io

__all__ = ["main", "run_spec"]


def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Elapsed time stops before a pool is shut down; CPU time waits for its processes
    to be reaped, so their whole lives (start included) count."""
    approach, workers = spec["approach"], int(spec["workers"])
    pool = None
    if approach == "multiprocessing":
        context = multiprocessing.get_context("spawn")
        if spec["workload"] == "io":
            pool = context.Pool(
                int(spec["processes"]),
                initializer=_seed_io._open_process_client,
                initargs=(spec["url"], spec["key"]),
            )
        else:
            pool = context.Pool(int(spec["processes"]))
    if pool is not None:
        pool.map(_seed_cpu.warm, range(int(spec["processes"])), chunksize=1)
    before, started = os.times(), time.perf_counter()
    if spec["workload"] == "io":
        args = (spec["url"], spec["key"], spec["prefix"], int(spec["count"]), workers)
        if pool is not None:
            times = _seed_io.multiprocessing_pool(*args, pool=pool)
        else:
            times = _seed_io.IO_APPROACHES[approach](*args)
    else:
        tasks = [(seed, int(spec["length"])) for seed in range(int(spec["count"]))]
        if pool is not None:
            times = _seed_cpu.multiprocessing_pool(tasks, pool)
        else:
            times = _seed_cpu.CPU_APPROACHES[approach](tasks, workers)
    elapsed_s = time.perf_counter() - started
    if pool is not None:
        pool.close()
        pool.join()
    after = os.times()
    cpu_s = sum(after[:4]) - sum(before[:4])
    own = peak_rss_kb()
    children = peak_rss_kb(children=True)
    return {
        "done": len(times),
        "times_ms": times,
        "elapsed_s": elapsed_s,
        "cpu_s": cpu_s,
        "maxrss_kb": own,
        "children_maxrss_kb": children,
    }


def main(argv: list[str]) -> int:
    print(json.dumps(run_spec(json.loads(argv[0]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
