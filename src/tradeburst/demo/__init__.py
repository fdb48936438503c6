"""The demo: a rehearsal exchange, a sample batch at the open, and what happened."""

from tradeburst.demo._run import DemoResult, demo_start, run_demo

__all__ = ["DemoResult", "demo_start", "run_demo"]
