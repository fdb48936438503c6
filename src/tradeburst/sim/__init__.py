"""Rehearsing code written for a real broker's SDK: `fubon_neo`, the compatible Fubon SDK
backed by the rehearsal exchange (`tradeburst.sim.fubon`), and `install`, which makes
`import fubon_neo` (and `fubon_neo.sdk`, `fubon_neo.constant`) find it, so a script need
not be edited. `tradeburst rehearse SCRIPT` does both for a script.
"""

from __future__ import annotations

import sys
from types import ModuleType

from tradeburst.sim import fubon
from tradeburst.sim import fubon as fubon_neo
from tradeburst.sim.fubon._session import configure

__all__ = ["configure", "fubon_neo", "install", "uninstall"]

_NAMES = {
    "fubon_neo": fubon,
    "fubon_neo.sdk": fubon.sdk,
    "fubon_neo.constant": fubon.constant,
    "fubon_neo.adapter": fubon.adapter,
}
_replaced: dict[str, ModuleType] = {}
"""What `install` found under each name (a real `fubon_neo` imported before), for
`uninstall` to put back."""


def install(url: str | None = None, api_key: str | None = None) -> None:
    """Alias `fubon_neo` and its `sdk`, `constant` and `adapter` in `sys.modules` to the
    compatible SDK, which then talks to the exchange at `url` with `api_key` (both, or
    neither: then `TRADEBURST_URL` and `TRADEBURST_API_KEY`). A real `fubon_neo` imported
    before stays where it was imported; later imports find this one."""
    if (url is None) != (api_key is None):
        raise ValueError("give both url and api_key, or neither")
    if url is not None and api_key is not None:
        configure(url, api_key)
    for name, module in _NAMES.items():
        found = sys.modules.get(name)
        if found is not None and found is not module:
            _replaced[name] = found
        sys.modules[name] = module


def uninstall() -> None:
    """Undo `install`: `fubon_neo` is again what it was before (the real package, if it
    had been imported, or nothing, so that the next import finds whatever is installed)."""
    for name, module in _NAMES.items():
        if sys.modules.get(name) is module:
            del sys.modules[name]
        if name in _replaced:
            sys.modules[name] = _replaced.pop(name)
