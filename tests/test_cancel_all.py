"""The kill switch, `tradeburst cancel-all`, against a real rehearsal exchange: it cancels
every working order of the account, placed by any program, leaves other accounts alone,
filters by symbol and side, lists without cancelling on `--dry-run`, says why an order
could not be cancelled, and does the same through the Fubon adapter."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import aiohttp

from _cli_support import invoke
from tradeburst.brokers import SimBroker
from tradeburst.brokers.fubon import SDK_FACTORY_ENV, FubonBroker, FubonCredentials
from tradeburst.engine import cancel_all
from tradeburst.exchange import Exchange, FaultRates
from tradeburst.model import Order, Side

import _fubon_standin as standin
from _engine_support import OPEN_CLOCK
from _support import KEY_A, KEY_B, Api, StartExchange, orders_of, place

STANDIN = "_fubon_standin:make_sdk"


def _working(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in records if r["status"] in (0, 10) and r["after_qty"] != r["filled_qty"]]


async def _place_outside(api: Api, broker: SimBroker) -> None:
    """Orders placed without tradeburst's engine: over HTTP, and through `SimBroker`."""
    await place(api, symbol="2891", side="Buy", price="40.00")
    await place(api, symbol="2891", side="Sell", price="41.50", quantity=2000)
    await place(api, symbol="2330", side="Buy", price="1000")
    order = Order(symbol="2330", side=Side.SELL, quantity=1000, price_twd=Decimal("1100"))
    assert (await broker.place(order)).accepted


async def test_cancel_all_leaves_nothing_working_and_other_accounts_alone(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Orders placed over HTTP and through SimBroker are all cancelled; exit 0; account B's
    order still works; the JSON lists every cancel."""
    exchange = await start_exchange(profile="fubon")
    api, api_b = Api(session, exchange.url, KEY_A), Api(session, exchange.url, KEY_B)
    async with SimBroker(exchange.url, KEY_A) as broker:
        await _place_outside(api, broker)
    await place(api_b, symbol="2891", side="Buy", price="40.00")
    out = tmp_path / "cancel.json"
    done = await invoke("cancel-all", "--url", exchange.url, "--api-key", KEY_A,
                        "--json", str(out))  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "cancelled 4" in done.stdout and "nothing left working" in done.stdout
    assert _working(await orders_of(api)) == []
    assert len(_working(await orders_of(api_b))) == 1
    figures = json.loads(out.read_text())
    assert len(figures["cancelled"]) == 4 and figures["left"] == []
    assert {c["symbol"] for c in figures["cancelled"]} == {"2891", "2330"}


async def test_dry_run_lists_and_a_filter_cancels_only_its_orders(
    exchange: Exchange, api: Api, tmp_path: Path
) -> None:
    """--dry-run lists all four and cancels none; --symbol 2891 --side Buy cancels the one
    buy of 2891 and leaves the other three working."""
    async with SimBroker(exchange.url, KEY_A) as broker:
        await _place_outside(api, broker)
    listed = await invoke("cancel-all", "--url", exchange.url, "--api-key", KEY_A, "--dry-run")
    assert listed.exit_code == 0, listed.output
    assert "4 working orders" in listed.stdout
    assert len(_working(await orders_of(api))) == 4
    one = await invoke("cancel-all", "--url", exchange.url, "--api-key", KEY_A,
                       "--symbol", "2891", "--side", "Buy")  # fmt: skip
    assert one.exit_code == 0, one.output
    left = _working(await orders_of(api))
    assert len(left) == 3
    assert not [r for r in left if r["stock_no"] == "2891" and r["buy_sell"] == "Buy"]


async def test_an_order_filled_before_its_cancel_is_reported_with_the_reason(
    exchange: Exchange, api: Api, api_b: Api
) -> None:
    """Between the look and the cancel an order fills: it is not cancelled, the broker's
    refusal is the reason, and nothing is left working."""
    resting = await place(api, symbol="2891", side="Buy", price="40.00")

    class FillingFirst(SimBroker):
        async def cancel(self, order_no: str):  # type: ignore[no-untyped-def]
            await place(api_b, symbol="2891", side="Sell", price="40.00")  # fills it
            return await super().cancel(order_no)

    async with FillingFirst(exchange.url, KEY_A) as broker:
        report = await cancel_all(broker)
    assert report.clear and report.cancelled == []
    [failed] = report.not_cancelled
    assert failed.order.order_no == resting["order_no"]
    assert failed.reason.startswith("no longer working (refused:")


async def test_fubon_cancel_all_cancels_orders_placed_outside_the_adapter(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Through the Fubon adapter (the SDK stand-in in front of the exchange), every order
    placed over HTTP is found with its side and price, and cancelled."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    api = Api(session, exchange.url, KEY_A)
    await place(api, symbol="2891", side="Buy", price="40.00")
    await place(api, symbol="2891", side="Sell", price="41.50")
    cert = tmp_path / "cert.pfx"
    cert.write_bytes(b"not a real certificate")
    credentials = FubonCredentials(personal_id="A123456789", api_key=KEY_A, cert_path=cert)
    broker = FubonBroker(credentials, sdk_factory=STANDIN,
                         sdk_options={"exchange": exchange.url})  # fmt: skip
    async with broker:
        working = await broker.working_orders()
        assert sorted((w.side, w.price_twd) for w in working) == [
            (Side.BUY, Decimal("40")),
            (Side.SELL, Decimal("41.5")),
        ]
        report = await cancel_all(broker, side=Side.SELL)
        assert [a.order.side for a in report.cancelled] == [Side.SELL]
        report = await cancel_all(broker)
    assert report.clear and len(report.cancelled) == 1
    assert _working(await orders_of(api)) == []


async def test_the_commands_take_broker_fubon(
    start_exchange: StartExchange, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """`cancel-all --broker fubon` logs in through the SDK, cancels both orders placed over
    HTTP, and exits 0."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    api = Api(session, exchange.url, KEY_A)
    await place(api, symbol="2891", side="Buy", price="40.00")
    await place(api, symbol="2891", side="Sell", price="41.50")
    cert = tmp_path / "cert.pfx"
    cert.write_bytes(b"not a real certificate")
    env = {SDK_FACTORY_ENV: STANDIN, standin.STANDIN_URL_ENV: exchange.url,
           "TRADEBURST_FUBON_ID": "A123456789", "TRADEBURST_FUBON_API_KEY": KEY_A,
           "TRADEBURST_FUBON_CERT": str(cert)}  # fmt: skip
    done = await invoke("cancel-all", "--broker", "fubon", env=env)
    assert done.exit_code == 0, done.output
    assert "cancelled 2" in done.stdout
    assert _working(await orders_of(api)) == []


async def test_cancels_whose_answers_are_lost_are_found_done_by_a_later_look(
    start_exchange: StartExchange, session: aiohttp.ClientSession
) -> None:
    """Every request held 1.5 s past a 0.5 s answer timeout: the first round's cancels are
    answered to nobody, yet land; a later look finds nothing working."""
    exchange = await start_exchange(
        profile="fubon", clock_start=OPEN_CLOCK, faults=FaultRates(late=1.0, late_ms=1500.0)
    )
    api = Api(session, exchange.url, KEY_A)
    await asyncio.gather(*(place(api, symbol="2891", side="Buy", price="40.00") for _ in range(3)))
    async with SimBroker(exchange.url, KEY_A, answer_timeout_s=0.5) as broker:
        report = await cancel_all(broker)
    assert report.left == [] and _working(await orders_of(api)) == []
    assert any(a.reason.startswith("no answer") for a in report.attempts.values())
    assert len(report.found) == 3
