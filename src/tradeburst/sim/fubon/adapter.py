"""`fubon_neo.adapter`, as far as a script imports it: `Mode`, the market-data mode."""

from tradeburst.sim.fubon._realtime import Mode

__all__ = ["Mode"]
