"""A `fubon_neo`-compatible SDK backed by the rehearsal exchange: `fubon_neo.sdk`
(`FubonSDK`, `Order`, `Mode`), `fubon_neo.constant` (the enums) and `fubon_neo.adapter`
(`Mode`), so a script written for Fubon's real SDK runs unchanged against tradeburst's
exchange (`tradeburst rehearse SCRIPT`, or `tradeburst.sim.install()`). What it imitates
and what it does not is listed in docs/rehearse.md.
"""

from tradeburst.sim.fubon import adapter, constant, sdk

__version__ = "2.3.1"
"""The `fubon_neo` version whose surface this imitates."""

__all__ = ["__version__", "adapter", "constant", "sdk"]
