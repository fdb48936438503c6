"""How long each kind of call to the SDK worker may take (`--fubon-timeout-s`). The SDK has
no timeout of its own: a call past its deadline counts as lost (an order: reconciled by
`user_def`; a query or a login: not sent), and its worker is replaced."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ORDER_METHODS", "Deadlines"]

ORDER_METHODS = frozenset({"place", "batch", "cancel", "modify_price", "modify_quantity"})
"""The calls that place or change an order (the others are queries)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadlines:
    """How long each kind of call may take before it counts as lost."""

    login_s: float = 30.0
    """Starting the worker, building the SDK (it connects) and logging in."""
    order_s: float = 10.0
    query_s: float = 15.0

    def of(self, method: str) -> float:
        return self.order_s if method in ORDER_METHODS else self.query_s
