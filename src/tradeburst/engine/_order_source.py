"""Where a run's orders come from: an orders file (a path, as `str` or `Path`), or, from
Python, any iterable of `Order`s, each alone or paired with a tag (`(order, "tag")`).

Orders from Python get the file's checks that a built `Order` has not had: each item is
an `Order` (or an `(Order, tag)` pair), its tag at most 32 printable characters, and its
`user_def` empty, since the engine gives every order its own client order id. Problems
are told as `orders:N: reason`, N counted from 1 as lines are; reading stops past
`max_rows`, so an endless generator is refused, not drained.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TypeAlias

from tradeburst.engine._orders_file import TAG_MAX_LEN, InputProblem, OrderRow, read_orders
from tradeburst.model import Order

__all__ = ["ORDERS_NAME", "OrderSource", "read_source", "source_name"]

OrderSource: TypeAlias = str | os.PathLike[str] | Iterable[Order | tuple[Order, str]]
"""An orders file, or orders from Python (each alone or with its tag)."""

ORDERS_NAME = "orders"
"""How orders from Python are named in problems and in the journal."""


def _path(source: OrderSource) -> Path | None:
    if isinstance(source, str | os.PathLike):
        return Path(source)
    return None


def source_name(source: OrderSource) -> str:
    path = _path(source)
    return ORDERS_NAME if path is None else str(path)


def read_source(
    source: OrderSource, *, max_rows: int | None = None
) -> tuple[list[OrderRow], list[InputProblem]]:
    """The orders of `source` and every problem found in them."""
    if isinstance(source, str | os.PathLike):
        return read_orders(Path(source), max_rows=max_rows)
    rows: list[OrderRow] = []
    problems: list[InputProblem] = []
    items: Iterable[object] = source
    if max_rows is not None:
        items = itertools.islice(source, max_rows + 1)
    for number, item in enumerate(items, start=1):
        order, tag = item if isinstance(item, tuple) and len(item) == 2 else (item, "")
        if not isinstance(order, Order):
            reason = f"{type(order).__name__} is not an Order (or an (Order, tag) pair)"
            problems.append(InputProblem(path=ORDERS_NAME, line=number, reason=reason))
            continue
        problem = _problem(order, tag)
        if problem is not None:
            problems.append(InputProblem(path=ORDERS_NAME, line=number, reason=problem))
        else:
            rows.append(OrderRow(line=number, order=order, tag=str(tag)))
    return rows, problems


def _problem(order: Order, tag: object) -> str | None:
    if not isinstance(tag, str):
        return f"the tag must be a string, not {type(tag).__name__}"
    if len(tag) > TAG_MAX_LEN or not tag.isprintable():
        return f"the tag must be at most {TAG_MAX_LEN} printable characters"
    if order.user_def is not None:
        return f"user_def {order.user_def!r} is set: the engine gives each order its own"
    return None
