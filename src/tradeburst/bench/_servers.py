"""Servers the benchmarks measure against, each in its own process so that client and
server do not share one core: the rehearsal exchange (always open, no house liquidity) and
a bare aiohttp handler. `serving` starts one, yields its URL, and stops it."""

from __future__ import annotations

import sys

from tradeburst.exchange import exchange_child, serving

__all__ = ["BENCH_KEY", "bare_server", "exchange_server", "serving"]

BENCH_KEY = "bench-key"


def exchange_server(profile: str, *extra: str) -> tuple[str, ...]:
    return exchange_child(
        "--profile",
        profile,
        "--always-open",
        "--no-liquidity",
        "--api-key",
        BENCH_KEY,
        "--seed",
        "1",
        *extra,
    )


def bare_server() -> tuple[str, ...]:
    return (sys.executable, "-m", "tradeburst.bench._bare_server")
