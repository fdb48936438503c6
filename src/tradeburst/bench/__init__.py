"""Benchmarks: figures measured side by side in one run, never asserted in tests."""

from tradeburst.bench._engine import run_engine_bench
from tradeburst.bench._exchange import run_exchange_bench
from tradeburst.bench._rush import run_rush_bench

__all__ = ["run_engine_bench", "run_exchange_bench", "run_rush_bench"]
