"""The compatible SDK's `Order`, enums and method signatures against the real `fubon_neo`
2.3.1 binary, side by side: whatever a script can tell offline (constructor signature and
errors, `str()` of enums, equality with ints, hashing, attribute names) must match."""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import fubon_neo.constant as real_constant
import fubon_neo.sdk as real_sdk
import pytest

from tradeburst.sim import fubon_neo
from tradeburst.sim.fubon import _objects as objects

ENUMS = ("BSAction", "MarketType", "PriceType", "TimeInForce", "OrderType", "StockType", "Market")
STOCK_METHODS = (
    "place_order",
    "batch_place_order",
    "cancel_order",
    "make_modify_price_obj",
    "modify_price",
    "make_modify_quantity_obj",
    "modify_quantity",
    "batch_cancel_order",
    "batch_modify_price",
    "batch_modify_quantity",
    "get_order_results",
    "get_order_results_detail",
    "filled_history",
    "query_symbol_quote",
    "query_symbol_snapshot",
)


def outcome(call: Callable[[], Any]) -> tuple[str, str]:
    """What a call gives a script: its value's repr, or its exception's type and text."""
    try:
        return "value", repr(call())
    except Exception as exc:
        return type(exc).__name__, str(exc)


def members(kind: type[Any]) -> list[str]:
    return sorted(name for name in dir(kind) if name[0].isupper())


@pytest.mark.parametrize("name", ENUMS)
def test_each_enum_behaves_as_the_real_one(name: str) -> None:
    """Same members; each prints, compares, converts and refuses hashing the same way; the
    class cannot be called in either."""
    real, ours = getattr(real_constant, name), getattr(fubon_neo.constant, name)
    assert members(ours) == members(real)
    for member in members(real):
        r, o = getattr(real, member), getattr(ours, member)
        assert (str(o), repr(o), int(o)) == (str(r), repr(r), int(r))
        for other in (int(r), int(r) + 1, True, 0.0, str(r), None):
            assert (o == other) == (r == other), (member, other)
        assert o == getattr(ours, member) and r == getattr(real, member)
        assert outcome(lambda o=o: hash(o))[0] == outcome(lambda r=r: hash(r))[0] == "TypeError"
        assert outcome(lambda o=o: o < o)[0] == outcome(lambda r=r: r < r)[0] == "TypeError"
    assert outcome(lambda: ours(0)) == outcome(lambda: real(0))


def _order_calls(c: Any) -> list[Callable[[], Any]]:
    """Constructor calls with the enums of constant module `c`, good and bad."""
    b, m, p, t, o = c.BSAction, c.MarketType, c.PriceType, c.TimeInForce, c.OrderType
    base = (b.Buy, "2881", 1000, m.Common, p.Limit, t.ROD, o.Stock)
    return [
        lambda: (base, "66"),
        lambda: (*base, "66", "tag1"),
        lambda: (b.Sell, "2330", 2000, m.Common, p.Market, t.IOC, o.DayTrade),
        lambda: dict(buy_sell=b.Buy, symbol="2881", quantity=1000, market_type=m.Common,
                     price_type=p.Limit, time_in_force=t.ROD, order_type=o.Stock, price="66.5"),
        lambda: (*base[:3], m.IntradayOdd, p.Limit, t.ROD, o.Stock, "66", None),
        lambda: (*base, 66.0),
        lambda: (*base, 66),
        lambda: (b.Buy, "2881", "1000", *base[3:]),
        lambda: (b.Buy, "2881", 1000.0, *base[3:]),
        lambda: (b.Buy, 2881, *base[2:]),
        lambda: (0, *base[1:]),
        lambda: (base[0], base[1], base[2], p.Limit, p.Limit, t.ROD, o.Stock),
        lambda: base[:3],
        lambda: (),
        lambda: (*base, "66", "t", "extra"),
        lambda: dict(buy_sell=b.Buy, symbol="2881", quantity=1000, market_type=m.Common,
                     price_type=p.Limit, time_in_force=t.ROD, order_type=o.Stock, colour=1),
        lambda: (*base[:2], -5, *base[3:]),
        lambda: (*base[:2], True, *base[3:], None, 'q"uote'),
    ]  # fmt: skip


def _build(kind: type[Any], arguments: Any) -> Any:
    if isinstance(arguments, dict):
        return kind(**arguments)
    if arguments and isinstance(arguments[0], tuple):  # (positional, price keyword)
        return kind(*arguments[0], price=arguments[1])
    return kind(*arguments)


def test_order_takes_and_refuses_what_the_real_one_does() -> None:
    """Each call gives the same repr, or the same exception with the same text."""
    real_calls = _order_calls(real_constant)
    our_calls = _order_calls(fubon_neo.constant)
    for real_args, our_args in zip(real_calls, our_calls, strict=True):
        real = outcome(lambda a=real_args: _build(real_sdk.Order, a()))
        ours = outcome(lambda a=our_args: _build(fubon_neo.sdk.Order, a()))
        assert ours == real


def test_an_order_has_no_readable_attributes() -> None:
    """Like 2.3.1's, an Order shows its fields in its repr only."""
    c = fubon_neo.constant
    order = fubon_neo.sdk.Order(
        c.BSAction.Buy, "2881", 1000, c.MarketType.Common, c.PriceType.Limit, c.TimeInForce.ROD,
        c.OrderType.Stock, "66",
    )  # fmt: skip
    for name in ("price", "symbol", "quantity", "buy_sell"):
        assert outcome(lambda n=name: getattr(order, n))[0] == "AttributeError"
    assert [name for name in dir(order) if not name.startswith("_")] == []


@pytest.fixture
def real_sdk_object(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The real FubonSDK, connected to a WebSocket server in another process that accepts
    and never answers (the binary holds the GIL while it connects); it writes ./log."""
    monkeypatch.chdir(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-c", _SILENT_SERVER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        sdk = real_sdk.FubonSDK(30, 2, f"ws://127.0.0.1:{port}/TASP/XCPXWS")
        yield sdk
        sdk.shutdown()
    finally:
        server.terminate()
        server.wait()


_SILENT_SERVER = """
import asyncio
from aiohttp import web
async def socket(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for _ in ws:
        pass
    return ws
async def main():
    app = web.Application()
    app.router.add_get("/{tail:.*}", socket)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


def _parameters(function: Any) -> list[tuple[str, Any]]:
    signature = inspect.signature(function)
    return [(p.name, p.default) for p in signature.parameters.values() if p.name != "self"]


def test_the_methods_have_the_real_names_and_parameters(
    real_sdk_object: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every stock and accounting method a script calls exists, with the binary's parameter
    names, order and defaults, and so do the constructor, logins, logout and setters."""
    monkeypatch.setenv("TRADEBURST_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TRADEBURST_API_KEY", "unused")
    ours = fubon_neo.sdk.FubonSDK()  # connects at login, not before
    try:
        for name in STOCK_METHODS:
            real, mine = getattr(real_sdk_object.stock, name), getattr(ours.stock, name)
            assert _parameters(mine) == _parameters(real), name
        for name in ("inventories", "unrealized_gains_and_loses"):
            real, mine = getattr(real_sdk_object.accounting, name), getattr(ours.accounting, name)
            assert _parameters(mine) == _parameters(real), name
        for name in ("apikey_login", "apikey_dma_login", "logout", "shutdown", "set_on_order",
                     "set_on_order_changed", "set_on_filled", "set_on_event"):  # fmt: skip
            real, mine = getattr(real_sdk_object, name), getattr(ours, name)
            assert _parameters(mine) == _parameters(real), name
        assert _parameters(fubon_neo.sdk.FubonSDK) == _parameters(real_sdk.CoreSDK)
        assert ours.stock.get_order_results(None).message == "Not Login Error"
    finally:
        ours.shutdown()


def test_result_objects_carry_the_binarys_attribute_names() -> None:
    """The attribute lists of 2.3.1's pyclasses (30 on OrderResult, 14 on FilledData), as
    introspected from the binary; result objects cannot be built offline to compare live."""
    assert set(objects.OrderResult.fields) == {
        "function_type", "date", "seq_no", "branch_no", "account", "order_no", "asset_type",
        "market", "market_type", "stock_no", "buy_sell", "price_type", "price", "quantity",
        "time_in_force", "order_type", "is_pre_order", "status", "after_price_type",
        "after_price", "unit", "after_qty", "filled_qty", "filled_money", "before_qty",
        "before_price", "user_def", "last_time", "details", "error_message",
    }  # fmt: skip
    assert len(objects.OrderResult.fields) == 30
    assert objects.FilledData.fields == (
        "date", "branch_no", "account", "seq_no", "order_no", "stock_no", "buy_sell",
        "order_type", "filled_no", "filled_avg_price", "filled_qty", "filled_price",
        "filled_time", "user_def",
    )  # fmt: skip
    assert objects.Account.fields == ("name", "account", "branch_no", "account_type")
    shown = repr(objects.result(True, None, []))
    assert shown == "Result { is_success: True, message: None, data: [] }"
