"""tradeburst from Python, as a notebook uses it: the worked example of docs/library.md run
as it stands, cell by cell, in a running event loop the way Jupyter runs a cell (top-level
`await` compiled with `PyCF_ALLOW_TOP_LEVEL_AWAIT`); a list of `Order`s fired through
`async with SimBroker(...)`; no signal handler installed; orders from Python checked
where they enter."""

from __future__ import annotations

import ast
import asyncio
import re
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import tradeburst
from tradeburst import FireOptions, InvalidInput, Order, Side, SimBroker
from tradeburst.exchange import Exchange

from _support import KEY_A, Api, orders_of

DOCS = Path(__file__).parent.parent / "docs" / "library.md"
CELL = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _cells() -> list[str]:
    return CELL.findall(DOCS.read_text(encoding="utf-8"))


async def _run_cell(source: str, namespace: dict[str, Any]) -> None:
    """What IPython does with a cell: compile with top-level await, await what it gives."""
    code = compile(source, str(DOCS), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)
    if asyncio.iscoroutine(result):
        await result


def _handlers() -> tuple[object, object, dict[Any, Any]]:
    loop = asyncio.get_running_loop()
    return (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM),
            dict(getattr(loop, "_signal_handlers", {})))  # fmt: skip


async def test_the_worked_example_in_the_docs_runs_in_a_running_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every cell runs; all four orders are accepted at the open; the plots are written;
    no signal handler was installed along the way."""
    monkeypatch.chdir(tmp_path)
    cells = _cells()
    assert len(cells) == 4
    before = _handlers()
    namespace: dict[str, Any] = {}
    for cell in cells:
        await _run_cell(cell, namespace)
    assert _handlers() == before
    result = namespace["result"]
    assert (result.summary.orders.total, result.summary.orders.accepted) == (4, 4)
    assert [i.tag for i in result.intents] == ["bank-a", "bank-b", "etf", "tsmc"]
    assert result.summary.timing.fire_error_us is not None
    for plot in namespace["plots"]:
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "4 of 4 accepted" in capsys.readouterr().out


async def test_a_list_of_orders_fires_through_async_with(exchange: Exchange, api: Api,
                                                         tmp_path: Path) -> None:  # fmt: skip
    """`await tradeburst.fire([...])` inside `async with SimBroker(...)`: each order placed
    once, tagged in the journal."""
    orders = [
        Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60")),
        (Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.55")), "b"),
    ]
    async with SimBroker(exchange.url, KEY_A) as broker:
        result = await tradeburst.fire(
            iter(orders), broker, FireOptions(journal=tmp_path / "j.sqlite")
        )
    assert result.summary.orders.accepted == 2
    assert [i.tag for i in result.intents] == ["", "b"]
    assert sorted(r["user_def"] for r in await orders_of(api)) == sorted(
        i.user_def for i in result.intents
    )


async def test_orders_from_python_are_checked_before_anything_is_sent(
    exchange: Exchange, api: Api, tmp_path: Path
) -> None:
    """A non-order, a long tag and a preset user_def are each named by position; the
    broker is not sent one order."""
    good = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"))
    tagged = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"),
                   user_def="mine1")  # fmt: skip
    items: list[Any] = [good, {"symbol": "2891"}, (good, "x" * 40), tagged]
    async with SimBroker(exchange.url, KEY_A) as broker:
        with pytest.raises(InvalidInput) as raised:
            await tradeburst.fire(items, broker, FireOptions(journal=tmp_path / "j.sqlite"))
    assert [str(p).split(":")[:2] for p in raised.value.problems] == [
        ["orders", "2"],
        ["orders", "3"],
        ["orders", "4"],
    ]
    assert "user_def" in str(raised.value.problems[2])
    assert await orders_of(api) == []


def test_the_docs_name_every_public_name() -> None:
    """Each name of `tradeburst.__all__` appears in the API table of docs/library.md."""
    table = DOCS.read_text(encoding="utf-8").split("## The public API", 1)[1]
    named = set(re.findall(r"`([A-Za-z_]+)[`(]", table))
    assert set(tradeburst.__all__) - named == set()
