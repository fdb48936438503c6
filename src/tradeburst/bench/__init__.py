"""Benchmarks: figures measured side by side in one run, never asserted in tests."""

from tradeburst.bench._engine import run_engine_bench
from tradeburst.bench._exchange import run_exchange_bench
from tradeburst.bench._hotpath import run_hotpath_bench

__all__ = ["run_engine_bench", "run_exchange_bench", "run_hotpath_bench"]
