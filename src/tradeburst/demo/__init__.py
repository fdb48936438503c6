"""The demo: a rehearsal exchange, a sample batch at the open, and what happened."""

from tradeburst.demo._run import DEMO_START, DemoResult, run_demo
from tradeburst.demo._sample import sample_orders, write_orders_csv

__all__ = ["DEMO_START", "DemoResult", "run_demo", "sample_orders", "write_orders_csv"]
