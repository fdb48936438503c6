"""The demo: a rehearsal exchange, a sample batch at the open, and what happened."""

from tradeburst.demo._run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
