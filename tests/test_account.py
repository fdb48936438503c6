"""The account at a glance: the cost arithmetic (moving average, fee, sell tax), and
`tradeburst account` against a real rehearsal exchange after real fills, as JSON, as
tables, refreshed by `--watch` from the account stream, and through the Fubon adapter."""

from __future__ import annotations

import asyncio
import json
import signal
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from _cli_support import invoke
from tradeburst.account import take
from tradeburst.account._snapshot import _realized
from tradeburst.brokers import Position
from tradeburst.brokers.fubon import FubonBroker, FubonCredentials
from tradeburst.exchange import Exchange
from tradeburst.model import Fill, Side
from tradeburst.rules import NO_COSTS, Costs, Holding, to_decimal

from _engine_support import CLI_TIMEOUT_S, OPEN_CLOCK, POLL_S, Background
from _support import KEY_A, KEY_B, Api, StartExchange, place

STANDIN = "_fubon_standin:make_sdk"


# -- the arithmetic -----------------------------------------------------------------------


def test_a_sale_realises_against_the_moving_average_cost() -> None:
    """Buy 1000 at 40 and 1000 at 41, sell 1500 at 42: 2250 earned, 500 left at 40.5."""
    holding = Holding()
    holding.trade(buy=True, shares=1000, price_twd=Decimal("40"), costs=NO_COSTS)
    holding.trade(buy=True, shares=1000, price_twd=Decimal("41"), costs=NO_COSTS)
    holding.trade(buy=False, shares=1500, price_twd=Decimal("42"), costs=NO_COSTS)
    assert (holding.shares, holding.realized, holding.average_cost) == (
        500,
        Fraction(2250),
        Fraction("40.5"),
    )


def test_a_sale_past_zero_opens_a_short_and_a_buy_covers_it() -> None:
    """Long 1000 at 40, sell 3000 at 45 (5000 earned, short 2000 at 45), cover at 44."""
    holding = Holding()
    holding.trade(buy=True, shares=1000, price_twd=Decimal("40"), costs=NO_COSTS)
    holding.trade(buy=False, shares=3000, price_twd=Decimal("45"), costs=NO_COSTS)
    assert (holding.shares, holding.realized, holding.average_cost) == (-2000, 5000, 45)
    assert holding.unrealized(Decimal("44")) == 2000
    holding.trade(buy=True, shares=2000, price_twd=Decimal("44"), costs=NO_COSTS)
    assert (holding.shares, holding.realized, holding.cost) == (0, 7000, 0)


_FILLS = st.lists(
    st.tuples(st.booleans(), st.integers(1, 5000), st.integers(1, 200_000)), max_size=30
)


@given(fills=_FILLS, mark_cents=st.integers(1, 200_000))
def test_realised_and_unrealised_add_up_to_the_cash_and_the_shares_at_the_mark(
    fills: list[tuple[bool, int, int]], mark_cents: int
) -> None:
    """Whatever the fills: realised + unrealised at a mark = cash in − cash out + shares
    held × mark, exactly; and the shares are the net of the fills."""
    holding, cash = Holding(), Fraction(0)
    for buy, shares, cents in fills:
        price = Decimal(cents) / 100
        holding.trade(buy=buy, shares=shares, price_twd=price, costs=NO_COSTS)
        cash += Fraction(price) * shares * (-1 if buy else 1)
    mark = Decimal(mark_cents) / 100
    assert holding.shares == sum(s if b else -s for b, s, _ in fills)
    assert holding.realized + holding.unrealized(mark) == cash + holding.shares * Fraction(mark)


def _fill(buy: bool, shares: int, price: Decimal) -> Fill:
    side = Side.BUY if buy else Side.SELL
    return Fill(order_no="x", symbol="2330", side=side, quantity=shares, price_twd=price,
                filled_no="f", time_ns=0)  # fmt: skip


def test_the_opening_cost_is_worked_back_when_todays_buys_moved_the_average() -> None:
    """Held 1000 at 100, bought 1000 at 110 (the broker's average now 105), sold 1000 at
    120: 15,000 realised against 105, not 12,500 against the average the day ended with."""
    fills = [_fill(True, 1000, Decimal(110)), _fill(False, 1000, Decimal(120))]
    now = Position(symbol="2330", shares=1000, average_cost_twd=Decimal(105))
    assert _realized([now], fills, NO_COSTS) == Decimal("15000.00")


@given(
    opening=st.integers(-5000, 5000).filter(bool),
    opening_cents=st.integers(1, 200_000),
    fills=_FILLS,
)
def test_the_realised_profit_from_the_brokers_position_is_the_days_own(
    opening: int, opening_cents: int, fills: list[tuple[bool, int, int]]
) -> None:
    """Whatever the opening position and the fills, unless the position went through zero:
    the realised profit worked out from the broker's position now is the one the day made."""
    holding = Holding(shares=opening, cost=Fraction(opening_cents, 100) * abs(opening))
    day = [_fill(buy, shares, Decimal(cents) / 100) for buy, shares, cents in fills]
    went_through_zero = False
    for fill in day:
        before = holding.shares
        holding.trade(buy=fill.side is Side.BUY, shares=fill.quantity,
                      price_twd=fill.price_twd, costs=NO_COSTS)  # fmt: skip
        went_through_zero |= holding.shares == 0 or (before > 0) != (holding.shares > 0)
    assume(not went_through_zero)
    average = Decimal(holding.average_cost.numerator) / holding.average_cost.denominator
    now = Position(symbol="2330", shares=holding.shares, average_cost_twd=average)
    assert abs(_realized([now], day, NO_COSTS) - to_decimal(holding.realized)) <= Decimal("0.01")


def test_fees_and_the_sell_tax_are_rounded_down_per_fill() -> None:
    """0.1425 % × a 2.8折 discount on 40,000 is 15.96: 15; the 0.3 % tax on a sale only."""
    holding = Holding()
    costs = Costs(fee_discount=Decimal("0.28"))
    holding.trade(buy=True, shares=1000, price_twd=Decimal("40"), costs=costs)
    holding.trade(buy=False, shares=1000, price_twd=Decimal("42.35"), costs=costs)
    assert holding.fees_twd == 15 + 16  # 42,350 × 0.001425 × 0.28 = 16.897…
    assert holding.taxes_twd == 127  # 42,350 × 0.003 = 127.05


# -- against the exchange -----------------------------------------------------------------


async def _trade_a_day(api: Api, api_b: Api) -> None:
    """Account A buys 2000 at 40.60 and 1000 at 40.70, sells 1000 at 41.00 (B takes the
    other side of each), and leaves a buy at 40.00 working."""
    for side, price, quantity in (("Buy", "40.60", 2000), ("Buy", "40.70", 1000),
                                  ("Sell", "41.00", 1000)):  # fmt: skip
        other = "Sell" if side == "Buy" else "Buy"
        await place(api_b, symbol="2891", side=other, price=price, quantity=quantity)
        await place(api, symbol="2891", side=side, price=price, quantity=quantity)
    await place(api, symbol="2891", side="Buy", price="40.00")


async def test_account_json_shows_the_positions_fills_and_profit_after_fills(
    exchange: Exchange, api: Api, api_b: Api, tmp_path: Path
) -> None:
    """2000 shares at 40.6333 left; 366.67 earned before costs; fees 115 + 57 + 58, tax 123;
    the last trade (41.00) values the rest; the working buy is listed."""
    await _trade_a_day(api, api_b)
    done = await invoke("account", "--url", exchange.url, "--api-key", KEY_A, "--json", "-")
    assert done.exit_code == 0, done.output
    figures = json.loads(done.stdout)
    assert set(figures) >= {"positions", "working", "fills", "pnl"}
    [position] = figures["positions"]
    assert (position["symbol"], position["shares"]) == ("2891", 2000)
    assert (position["average_cost"], position["last_price"]) == ("40.6333", "41.00")
    assert position["unrealized"] == "733.40"  # (41 − 40.6333) × 2000
    assert [(f["side"], f["quantity"], f["fee"], f["tax"]) for f in figures["fills"]] == [
        ("Buy", 2000, "115", "0"),
        ("Buy", 1000, "57", "0"),
        ("Sell", 1000, "58", "123"),
    ]
    assert [(w["price"], w["open_qty"]) for w in figures["working"]] == [("40.00", 1000)]
    pnl = figures["pnl"]
    assert (pnl["realized_gross"], pnl["fees"], pnl["taxes"]) == ("366.67", "230", "123")
    assert (pnl["realized"], pnl["unrealized"], pnl["total"]) == ("13.67", "733.40", "747.07")


async def test_account_prints_tables_and_takes_the_fee_discount(
    exchange: Exchange, api: Api, api_b: Api, tmp_path: Path
) -> None:
    """The tables name positions, working orders, fills and profit; a discount lowers fees."""
    await _trade_a_day(api, api_b)
    done = await invoke("account", "--url", exchange.url, "--api-key", KEY_A,
                        "--fee-discount", "0.28")  # fmt: skip
    assert done.exit_code == 0, done.output
    for title in ("positions:", "working orders: 1", "today's fills: 3", "today's profit"):
        assert title in done.stdout
    assert "-64" in done.stdout  # 32 + 16 + 16


@pytest.mark.parametrize("option", ["--fee-rate", "--fee-discount", "--sell-tax"])
async def test_a_cost_that_is_not_a_fraction_is_refused(option: str) -> None:
    """Exit 2 naming the option, nothing asked of any broker."""
    done = await invoke("account", "--api-key", KEY_A, option, "1.5")
    assert done.exit_code == 2
    assert option in done.output and "Traceback" not in done.output


async def test_account_watch_refreshes_from_the_account_stream(
    exchange: Exchange, api: Api, api_b: Api, tmp_path: Path
) -> None:
    """`--watch --json -` prints the empty account, then a fill event brings a line with
    the position; Ctrl-C ends it with exit 0."""
    job = Background(tmp_path, "watch")
    await job.start("account", "--url", exchange.url, "--api-key", KEY_A, "--watch",
                    "--json", "-", cwd=tmp_path)  # fmt: skip
    try:
        first = await _line_where(job, lambda f: True)
        assert first["positions"] == []
        await place(api_b, symbol="2891", side="Sell", price="40.60")
        await place(api, symbol="2891", side="Buy", price="40.60")
        later = await _line_where(job, lambda f: bool(f["positions"]))
        assert later["positions"][0]["shares"] == 1000
        job.signal(signal.SIGINT)
        done = await job.wait()
    finally:
        job.stop()
    assert done.returncode == 0, done.output


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
async def test_account_watch_stops_on_a_signal_even_with_ctrl_c_ignored(
    exchange: Exchange, tmp_path: Path, signum: int
) -> None:
    """Started with Ctrl-C ignored (a shell's background job; a test run started so passes
    it on), `--watch` still ends on SIGINT, and on SIGTERM: exit 0, its last figures
    printed, and no word of the stream ending by itself."""
    job = Background(tmp_path, "watch")
    await job.start("account", "--url", exchange.url, "--api-key", KEY_A, "--watch",
                    "--json", "-", cwd=tmp_path, sigint_ignored=True)  # fmt: skip
    try:
        await _line_where(job, lambda f: True)
        job.signal(signum)
        done = await job.wait()
    finally:
        job.stop()
    assert done.returncode == 0, done.output
    assert json.loads(done.stdout.splitlines()[-1])["positions"] == []
    assert "the account stream" not in done.stderr, done.stderr


async def _line_where(job: Background, wanted: Any) -> dict[str, Any]:
    """The first JSON line `job` printed that `wanted` accepts."""
    async with asyncio.timeout(CLI_TIMEOUT_S):
        while True:
            text = await asyncio.to_thread(job.stdout_path.read_text)
            for line in text.splitlines():
                figures = json.loads(line)
                if wanted(figures):
                    return dict(figures)
            assert job.process is not None and job.process.returncode is None, text
            await asyncio.sleep(POLL_S)


async def test_fubon_positions_come_from_its_unrealised_call(
    start_exchange: StartExchange, session: Any, tmp_path: Path
) -> None:
    """Through the SDK stand-in: the position with the broker's cost price and its own
    unrealised figure, the fills, and the working order."""
    exchange = await start_exchange(clock_start=OPEN_CLOCK, always_open=False)
    api, api_b = Api(session, exchange.url, KEY_A), Api(session, exchange.url, KEY_B)
    await _trade_a_day(api, api_b)
    cert = tmp_path / "cert.pfx"
    cert.write_bytes(b"not a real certificate")
    credentials = FubonCredentials(personal_id="A123456789", api_key=KEY_A, cert_path=cert)
    async with FubonBroker(credentials, sdk_factory=STANDIN,
                           sdk_options={"exchange": exchange.url}) as broker:  # fmt: skip
        snapshot = await take(broker)
    [line] = snapshot.positions
    assert (line.position.shares, line.position.average_cost_twd) == (2000, Decimal("40.6333"))
    assert line.unrealized_twd == 733  # the stand-in's whole TWD, as Fubon reports it
    assert len(snapshot.fills) == 3 and len(snapshot.working) == 1
    assert snapshot.pnl.realized_gross_twd == Decimal("366.67")
