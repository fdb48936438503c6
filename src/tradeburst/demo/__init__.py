"""The demo: a rehearsal exchange, a sample batch at the open, and what happened."""

from tradeburst.demo._run import DEMO_START, DemoResult, run_demo

__all__ = ["DEMO_START", "DemoResult", "run_demo"]
