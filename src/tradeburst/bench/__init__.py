"""Benchmarks: figures measured side by side in one run, never asserted in tests."""

from tradeburst.bench._engine import EngineSizes, run_engine_bench
from tradeburst.bench._exchange import run_exchange_bench
from tradeburst.bench._fubon import FubonBenchError, run_fubon_bench
from tradeburst.bench._hotpath import run_hotpath_bench
from tradeburst.bench._hotpath_goal import goal_text as hotpath_goal_text
from tradeburst.bench._rush import run_rush_bench
from tradeburst.bench._scale import SCALE_SIZES, run_scale_bench
from tradeburst.bench._seed_report import decision_tree as seed_decision_tree
from tradeburst.bench._seed_report import markdown as seed_markdown
from tradeburst.bench._seed_report import write_png as write_seed_png
from tradeburst.bench._seed_table import SeedSizes, run_seed_table
from tradeburst.bench._throttle import run_throttle_bench
from tradeburst.bench._timeline import run_timeline_bench

__all__ = [
    "SCALE_SIZES",
    "EngineSizes",
    "FubonBenchError",
    "SeedSizes",
    "hotpath_goal_text",
    "run_engine_bench",
    "run_exchange_bench",
    "run_fubon_bench",
    "run_hotpath_bench",
    "run_rush_bench",
    "run_scale_bench",
    "run_seed_table",
    "run_throttle_bench",
    "run_timeline_bench",
    "seed_decision_tree",
    "seed_markdown",
    "write_seed_png",
]
