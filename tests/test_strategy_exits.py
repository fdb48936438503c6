"""A strategy's own code cannot end tradeburst: `sys.exit(3)` at import, in `run` or in a
callback is reported as that strategy's failure (it used to end the run silently with
exit code 3, which means "some rejected")."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tradeburst.brokers import SimBroker
from tradeburst.engine import FireOptions, InvalidInput
from tradeburst.exchange import Exchange
from tradeburst.strategies import RunResult, read_config, run_strategies

from _engine_support import run_cli
from _support import KEY_A

ORDER = '{symbol = "2891", side = "Buy", quantity = 1000, price = "40.60"}'

EXITS_AT_IMPORT = "import sys\nsys.exit(3)\n"

EXITS_IN_A_CALLBACK = """
import sys
from decimal import Decimal

from tradeburst import Order, Side, Strategy


class Quits(Strategy):
    async def run(self) -> None:
        order = Order(symbol="2891", side=Side.BUY, quantity=1000, price_twd=Decimal("40.60"))
        await self.submit([order])
        await asyncio.sleep(30)

    async def on_order(self, update) -> None:
        sys.exit(3)


import asyncio
"""

EXITS_IN_RUN = """
import sys

from tradeburst import Strategy


class Quits(Strategy):
    async def run(self) -> None:
        sys.exit(3)
"""


async def _run(exchange: Exchange, toml: Path) -> RunResult:
    broker = SimBroker(exchange.url, KEY_A)
    try:
        async with asyncio.timeout(30):
            return await run_strategies(
                read_config(toml, max_rows=100),
                broker,
                FireOptions(journal=toml.parent / "journal.sqlite"),
            )
    finally:
        await broker.aclose()


def _toml(tmp_path: Path, module: str, source: str) -> Path:
    (tmp_path / f"{module}.py").write_text(source)
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'[[strategy]]\nname = "quits"\nkind = "python"\nclass = "{module}:Quits"\n'
        f'[[strategy]]\nname = "steady"\nbatches = [[{ORDER}, {ORDER}]]\n'
    )
    return toml


async def test_sys_exit_at_import_is_the_strategys_problem(
    exchange: Exchange, tmp_path: Path
) -> None:
    toml = _toml(tmp_path, "exits_at_import", EXITS_AT_IMPORT)
    with pytest.raises(InvalidInput, match=r"strategy 'quits'.*SystemExit: 3"):
        await _run(exchange, toml)


async def test_the_command_says_so_and_exits_2(exchange: Exchange, tmp_path: Path) -> None:
    toml = _toml(tmp_path, "exits_at_import2", EXITS_AT_IMPORT)
    run = await run_cli("run", str(toml), "--url", exchange.url, "--api-key", KEY_A, cwd=tmp_path)
    assert run.returncode == 2, run.output
    assert "SystemExit: 3" in run.output and "nothing was sent" in run.output


@pytest.mark.parametrize(
    ("module", "source"),
    [("exits_in_run", EXITS_IN_RUN), ("exits_in_a_callback", EXITS_IN_A_CALLBACK)],
)
async def test_sys_exit_while_running_fails_that_strategy_only(
    exchange: Exchange, tmp_path: Path, module: str, source: str
) -> None:
    result = await _run(exchange, _toml(tmp_path, module, source))
    by_name = {slot.name: slot for slot in result.slots}
    assert by_name["quits"].state == "failed"
    assert by_name["quits"].error == "SystemExit: 3"
    assert by_name["steady"].state == "done"
    assert by_name["steady"].counts().accepted == 2
