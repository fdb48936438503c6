"""Taiwan market rules: tick ladders, daily limits, lots, and the session timetable.

Expected values come from twse_rules.md §2–§5, not from the code under test. The property
tests check the ladder against an independent oracle built from the Art. 62 table.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tradeburst.model import MarketType, PriceType, TimeInForce
from tradeburst.rules import (
    BOARD_LOT_SHARES,
    ETF_TICKS,
    MAX_ORDER_SHARES,
    STOCK_TICKS,
    Phase,
    PriceBand,
    TickBand,
    TickLadder,
    from_cents,
    order_type_problem,
    phase_at,
    price_band,
    quantity_problem,
    to_cents,
)

D = Decimal

# Art. 62 and the ETF rule as (lower bound, tick), highest band first, written out by hand.
STOCK_TABLE = [
    (D(1000), D(5)),
    (D(500), D(1)),
    (D(100), D("0.5")),
    (D(50), D("0.1")),
    (D(10), D("0.05")),
    (D(0), D("0.01")),
]
ETF_TABLE = [(D(50), D("0.05")), (D(0), D("0.01"))]
ONE_TWD_TABLE = [(D(1000), D(1)), *STOCK_TABLE[1:]]

# The reform under review in January 2026: a 1-TWD tick at and above 1000.
ONE_TWD_ABOVE_1000 = TickLadder(
    "stock-1twd",
    [TickBand(lower_twd=lower, tick_twd=tick) for lower, tick in reversed(ONE_TWD_TABLE)],
)

LADDERS = {"stock": (STOCK_TICKS, STOCK_TABLE), "etf": (ETF_TICKS, ETF_TABLE)}
HIGHEST_PRICE = D(5000)
JUST_BELOW = D("0.0001")


def oracle_tick(price: Decimal, table: list[tuple[Decimal, Decimal]]) -> Decimal:
    for lower, tick in table:
        if price >= lower:
            return tick
    raise AssertionError(f"no band for {price}")


def oracle_on_tick(price: Decimal, table: list[tuple[Decimal, Decimal]]) -> bool:
    return price > 0 and price % oracle_tick(price, table) == 0


def oracle_next_up(price: Decimal, table: list[tuple[Decimal, Decimal]]) -> Decimal:
    """The next valid price above an on-tick price (band bounds are multiples of the tick
    below them, so one step of the current tick always lands on a valid price)."""
    return price + oracle_tick(price, table)


def oracle_next_down(price: Decimal, table: list[tuple[Decimal, Decimal]]) -> Decimal:
    return price - oracle_tick(price - JUST_BELOW, table)


@st.composite
def on_tick_prices(draw: st.DrawFn, table: list[tuple[Decimal, Decimal]]) -> Decimal:
    """A valid price, drawn band by band so every band is visited equally often."""
    bands = sorted(table)
    index = draw(st.integers(0, len(bands) - 1))
    lower, tick = bands[index]
    upper = bands[index + 1][0] if index + 1 < len(bands) else HIGHEST_PRICE
    first = max(1, int(lower / tick))
    last = int(upper / tick) - 1
    return draw(st.integers(first, last)) * tick


# -- the stock ladder ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "tick"),
    [
        ("0.01", "0.01"),
        ("9.99", "0.01"),
        ("10", "0.05"),
        ("10.05", "0.05"),
        ("49.95", "0.05"),
        ("50", "0.1"),
        ("50.1", "0.1"),
        ("99.9", "0.1"),
        ("100", "0.5"),
        ("100.5", "0.5"),
        ("499.5", "0.5"),
        ("500", "1"),
        ("501", "1"),
        ("999", "1"),
        ("1000", "5"),
        ("1005", "5"),
    ],
)
def test_stock_tick_changes_at_each_band_edge(price: str, tick: str) -> None:
    """Each stock band's tick starts at its lower bound and holds up to the next one."""
    assert STOCK_TICKS.tick_for(D(price)) == D(tick)


@pytest.mark.parametrize(
    "price",
    [
        "0.01",
        "9.99",
        "10",
        "10.05",
        "49.95",
        "50",
        "50.1",
        "99.9",
        "100",
        "100.5",
        "499.5",
        "500",
        "501",
        "999",
        "1000",
        "1005",
    ],
)
def test_stock_band_edge_prices_are_on_tick(price: str) -> None:
    """The prices on both sides of every stock band edge are valid."""
    assert STOCK_TICKS.is_on_tick(D(price))


@pytest.mark.parametrize(
    "price",
    [
        "10.01",
        "10.04",
        "49.99",
        "50.05",
        "99.95",
        "100.1",
        "499.9",
        "500.5",
        "999.5",
        "1001",
        "1004",
        "0",
        "-5",
        "0.005",
    ],
)
def test_stock_prices_off_tick_are_invalid(price: str) -> None:
    """A price finer than its band's tick, zero, or negative is not on the ladder."""
    assert not STOCK_TICKS.is_on_tick(D(price))


@pytest.mark.parametrize(
    ("price", "tick"), [("0.01", "0.01"), ("49.99", "0.01"), ("50", "0.05"), ("50.05", "0.05")]
)
def test_etf_tick_changes_at_50(price: str, tick: str) -> None:
    """ETFs move by 0.01 below 50 and by 0.05 from 50."""
    assert ETF_TICKS.tick_for(D(price)) == D(tick)


@pytest.mark.parametrize(("price", "valid"), [("49.99", True), ("50.01", False), ("50.05", True)])
def test_etf_on_tick_at_the_50_edge(price: str, valid: bool) -> None:
    """49.99 and 50.05 are valid ETF prices, 50.01 is not."""
    assert ETF_TICKS.is_on_tick(D(price)) is valid


def test_etf_and_stock_ladders_differ_between_10_and_50() -> None:
    """10.01 is a valid ETF price but not a valid stock price."""
    assert ETF_TICKS.is_on_tick(D("10.01"))
    assert not STOCK_TICKS.is_on_tick(D("10.01"))


# -- rounding and stepping -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "down", "up"),
    [
        ("9.995", "9.99", "10"),
        ("10.01", "10", "10.05"),
        ("49.97", "49.95", "50"),
        ("50.05", "50", "50.1"),
        ("99.95", "99.9", "100"),
        ("100.2", "100", "100.5"),
        ("499.7", "499.5", "500"),
        ("500.5", "500", "501"),
        ("999.5", "999", "1000"),
        ("1001", "1000", "1005"),
    ],
)
def test_stock_rounding_across_band_edges(price: str, down: str, up: str) -> None:
    """round_down and round_up give the nearest valid prices on each side of a band edge."""
    assert STOCK_TICKS.round_down(D(price)) == D(down)
    assert STOCK_TICKS.round_up(D(price)) == D(up)


@pytest.mark.parametrize("price", ["9.99", "10", "49.95", "50", "100", "500", "1000"])
def test_rounding_keeps_an_on_tick_price(price: str) -> None:
    """A valid price rounds to itself both ways."""
    assert STOCK_TICKS.round_down(D(price)) == D(price)
    assert STOCK_TICKS.round_up(D(price)) == D(price)


@pytest.mark.parametrize(
    ("price", "down", "up"), [("49.991", "49.99", "50"), ("50.01", "50", "50.05")]
)
def test_etf_rounding_across_50(price: str, down: str, up: str) -> None:
    """ETF prices round to 0.01 below 50 and to 0.05 from 50."""
    assert ETF_TICKS.round_down(D(price)) == D(down)
    assert ETF_TICKS.round_up(D(price)) == D(up)


def test_round_up_into_a_band_whose_tick_does_not_fit_lands_on_its_first_valid_price() -> None:
    """On a custom ladder whose 0.03 tick does not divide 1.00, 0.995 rounds up to 1.00."""
    ladder = TickLadder(
        "uneven",
        [
            TickBand(lower_twd=D(0), tick_twd=D("0.03")),
            TickBand(lower_twd=D(1), tick_twd=D("0.05")),
        ],
    )
    assert ladder.round_up(D("0.995")) == D(1)


@pytest.mark.parametrize(
    ("price", "up"),
    [
        ("9.99", "10"),
        ("10", "10.05"),
        ("49.95", "50"),
        ("99.9", "100"),
        ("499.5", "500"),
        ("999", "1000"),
        ("1000", "1005"),
    ],
)
def test_step_up_crosses_band_edges(price: str, up: str) -> None:
    """step_up gives the next valid price, with the tick of the band it lands in."""
    assert STOCK_TICKS.step_up(D(price)) == D(up)


@pytest.mark.parametrize(
    ("price", "down"),
    [
        ("10", "9.99"),
        ("10.05", "10"),
        ("50", "49.95"),
        ("100", "99.9"),
        ("500", "499.5"),
        ("1000", "999"),
        ("1005", "1000"),
    ],
)
def test_step_down_crosses_band_edges(price: str, down: str) -> None:
    """step_down gives the previous valid price, with the tick of the band below an edge."""
    assert STOCK_TICKS.step_down(D(price)) == D(down)


@settings(max_examples=200)
@given(
    ladder_name=st.sampled_from(sorted(LADDERS)),
    price=st.decimals(min_value=D("0.01"), max_value=HIGHEST_PRICE, places=4),
)
@example(ladder_name="stock", price=D("9.995"))
@example(ladder_name="stock", price=D("999.5"))
@example(ladder_name="etf", price=D("49.995"))
def test_rounding_brackets_the_price_with_adjacent_ticks(ladder_name: str, price: Decimal) -> None:
    """round_down(p) ≤ p ≤ round_up(p), both on tick, with no valid price in between."""
    ladder, table = LADDERS[ladder_name]
    down, up = ladder.round_down(price), ladder.round_up(price)
    assert down <= price <= up
    assert oracle_on_tick(down, table)
    assert oracle_on_tick(up, table)
    assert oracle_next_up(down, table) > price or down == price
    assert oracle_next_down(up, table) < price or up == price


# -- daily limits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "limit_down", "limit_up"),
    [
        ("40.60", "36.55", "44.65"),  # the TWSE worked example
        ("9.5", "8.55", "10.45"),  # the limit-up lands in the 0.05 band
        ("9.99", "9.00", "10.95"),
        ("48", "43.2", "52.8"),  # the limit-up lands in the 0.1 band
        ("49.95", "45.00", "54.9"),
        ("97", "87.3", "106.5"),  # TWSE prints 106.7, which is off tick (§3)
        ("100", "90", "110"),
        ("101", "90.9", "111"),
        ("105", "94.5", "115.5"),  # the limit-down lands in the 0.1 band
        ("999", "900", "1095"),
        ("1000", "900", "1100"),  # the limit-down lands in the 1-TWD band
    ],
)
def test_stock_limits_round_inward_to_valid_ticks(
    reference: str, limit_down: str, limit_up: str
) -> None:
    """Limits are the largest tick ≤ ref×1.1 and the smallest tick ≥ ref×0.9."""
    band = price_band(D(reference), STOCK_TICKS)
    assert (band.limit_down_twd, band.limit_up_twd) == (D(limit_down), D(limit_up))


@pytest.mark.parametrize(
    ("reference", "limit_down", "limit_up"),
    [
        ("0.10", "0.09", "0.11"),  # 10 % is exactly one tick
        ("0.09", "0.08", "0.10"),
        ("0.05", "0.04", "0.06"),
        ("0.02", "0.01", "0.03"),
        ("0.01", "0.01", "0.02"),  # never below the smallest tick
    ],
)
def test_limits_are_one_tick_away_when_ten_percent_is_less_than_a_tick(
    reference: str, limit_down: str, limit_up: str
) -> None:
    """Art. 63 minimum-tick clause: the limit is one tick, and no lower than 0.01."""
    band = price_band(D(reference), STOCK_TICKS)
    assert (band.limit_down_twd, band.limit_up_twd) == (D(limit_down), D(limit_up))


@pytest.mark.parametrize(
    ("reference", "limit_down", "limit_up"), [("49.99", "45", "54.95"), ("50", "45", "55")]
)
def test_etf_limits_use_the_etf_ladder(reference: str, limit_down: str, limit_up: str) -> None:
    """An ETF's limits are rounded to the ETF ticks."""
    band = price_band(D(reference), ETF_TICKS)
    assert (band.limit_down_twd, band.limit_up_twd) == (D(limit_down), D(limit_up))


def test_a_one_twd_tick_above_1000_changes_the_limit_up() -> None:
    """With a 1-TWD tick above 1000, reference 1010 gets limit-up 1111 instead of 1110."""
    assert price_band(D(1010), STOCK_TICKS).limit_up_twd == D(1110)
    assert price_band(D(1010), ONE_TWD_ABOVE_1000).limit_up_twd == D(1111)


def test_a_one_twd_tick_above_1000_makes_1001_valid() -> None:
    """1001 is off tick on the shipped stock ladder and on tick on the reformed one."""
    assert not STOCK_TICKS.is_on_tick(D(1001))
    assert ONE_TWD_ABOVE_1000.is_on_tick(D(1001))


def test_a_one_twd_tick_above_1000_accepts_a_reference_the_shipped_ladder_refuses() -> None:
    """Reference 1234 has limits 1111/1357 on the reformed ladder and none on the shipped one."""
    band = price_band(D(1234), ONE_TWD_ABOVE_1000)
    assert (band.limit_down_twd, band.limit_up_twd) == (D(1111), D(1357))
    with pytest.raises(ValueError, match="not on the stock ladder"):
        price_band(D(1234), STOCK_TICKS)


@pytest.mark.parametrize("reference", ["40.61", "0", "-10", "1001"])
def test_price_band_refuses_an_off_tick_reference(reference: str) -> None:
    """A reference price that is not a valid tick has no limits."""
    with pytest.raises(ValueError, match="not on the"):
        price_band(D(reference), STOCK_TICKS)


def test_price_band_takes_another_fraction() -> None:
    """A 5 % limit on reference 100 gives 95 and 105."""
    band = price_band(D(100), STOCK_TICKS, fraction=D("0.05"))
    assert (band.limit_down_twd, band.limit_up_twd) == (D(95), D(105))


@pytest.mark.parametrize(
    ("price", "inside"),
    [(D("36.55"), True), (D("44.65"), True), (D("36.50"), False), (D("44.70"), False)],
)
def test_price_band_contains_exactly_the_prices_between_its_limits(
    price: Decimal, inside: bool
) -> None:
    """Both limits are inside the band; a tick beyond either is outside."""
    assert (price in price_band(D("40.60"), STOCK_TICKS)) is inside


def test_price_band_contains_no_float() -> None:
    """Only Decimal prices are tested for membership; a float is never inside."""
    band = PriceBand(reference_twd=D(40), limit_down_twd=D(36), limit_up_twd=D(44))
    assert 40.0 not in band


EDGE_REFERENCES = [
    ("stock", D("0.01")),
    ("stock", D("0.09")),
    ("stock", D("9.5")),
    ("stock", D("9.99")),
    ("stock", D("48")),
    ("stock", D("97")),
    ("stock", D("105")),
    ("stock", D("999")),
    ("stock", D("1000")),
    ("etf", D("49.99")),
    ("etf", D("50")),
]


def with_edge_examples(test):  # type: ignore[no-untyped-def]
    for case in EDGE_REFERENCES:
        test = example(case=case)(test)
    return test


references = st.sampled_from(sorted(LADDERS)).flatmap(
    lambda name: st.tuples(st.just(name), on_tick_prices(LADDERS[name][1]))
)


@settings(max_examples=200)
@given(case=references)
@with_edge_examples
def test_limit_up_is_the_largest_tick_within_ten_percent(case: tuple[str, Decimal]) -> None:
    """limit_up is on tick, ≤ ref×1.1, and the next tick above it is > ref×1.1."""
    ladder_name, reference = case
    ladder, table = LADDERS[ladder_name]
    ceiling = reference * D("1.1")
    limit_up = price_band(reference, ladder).limit_up_twd
    assert oracle_on_tick(limit_up, table)
    if oracle_next_up(reference, table) > ceiling:  # minimum-tick clause
        assert limit_up == oracle_next_up(reference, table)
        return
    assert limit_up <= ceiling
    assert oracle_next_up(limit_up, table) > ceiling


@settings(max_examples=200)
@given(case=references)
@with_edge_examples
def test_limit_down_is_the_smallest_tick_within_ten_percent(case: tuple[str, Decimal]) -> None:
    """limit_down is on tick, ≥ ref×0.9, and the next tick below it is < ref×0.9."""
    ladder_name, reference = case
    ladder, table = LADDERS[ladder_name]
    floor = reference * D("0.9")
    limit_down = price_band(reference, ladder).limit_down_twd
    assert oracle_on_tick(limit_down, table)
    if oracle_next_down(reference, table) < floor:  # minimum-tick clause
        assert limit_down == max(oracle_next_down(reference, table), D("0.01"))
        return
    assert limit_down >= floor
    assert oracle_next_down(limit_down, table) < floor


# -- ladder construction and cents ---------------------------------------------------------


@pytest.mark.parametrize(
    "bands",
    [
        [],
        [("1", "0.01")],
        [("0", "0.01"), ("50", "0.1"), ("10", "0.05")],
        [("0", "0.01"), ("10", "0.05"), ("10", "0.1")],
        [("0", "0")],
        [("0", "0.01"), ("10", "-0.05")],
    ],
    ids=["empty", "not-from-zero", "unsorted", "duplicate-bound", "zero-tick", "negative-tick"],
)
def test_tick_ladder_refuses_malformed_bands(bands: list[tuple[str, str]]) -> None:
    """A ladder must start at 0, rise strictly, and have positive ticks."""
    with pytest.raises(ValueError, match=r"tick ladder needs|increasing order|must be positive"):
        TickLadder("bad", [TickBand(lower_twd=D(lo), tick_twd=D(t)) for lo, t in bands])


@pytest.mark.parametrize(("price", "cents"), [("44.65", 4465), ("1000", 100000), ("0.01", 1)])
def test_to_cents_and_back(price: str, cents: int) -> None:
    """to_cents and from_cents convert between TWD and integer hundredths."""
    assert to_cents(D(price)) == cents
    assert from_cents(cents) == D(price)


written_prices = st.builds(
    lambda mantissa, exponent: D(mantissa).scaleb(exponent),
    st.integers(-(10**30), 10**30),
    st.integers(-8, 8),
)
"""Prices as a user may write them: any digits, trailing zeros and exponents included."""


@settings(max_examples=400)
@given(price=written_prices)
@example(price=D("40.600"))
@example(price=D("4.06E+1"))
@example(price=D("40.600000000000000000000000000000001"))
@example(price=D("1E+40"))
def test_the_ladders_agree_with_the_oracle_on_every_written_price(price: Decimal) -> None:
    """Whichever way a price is written (the exchange's integer path or the decimal one),
    a tick check and its cents agree with plain exact arithmetic."""
    exact = Fraction(price)
    for ladder, table in LADDERS.values():
        tick = Fraction(oracle_tick(price, table)) if price > 0 else Fraction(1)
        assert ladder.is_on_tick(price) == (exact > 0 and (exact / tick).denominator == 1)
    if (exact * 100).denominator == 1:
        assert to_cents(price) == exact * 100
    else:
        with pytest.raises(ValueError, match=r"finer than 0\.01"):
            to_cents(price)


def test_to_cents_refuses_sub_cent_precision() -> None:
    """A price with a fraction of a cent has no integer-cent form."""
    with pytest.raises(ValueError, match=r"finer than 0\.01"):
        to_cents(D("10.005"))


# -- lots ----------------------------------------------------------------------------------


def test_board_lot_is_1000_shares_and_an_order_at_most_499_lots() -> None:
    """The constants match §4: 1000-share lots, at most 499 lots in one order."""
    assert (BOARD_LOT_SHARES, MAX_ORDER_SHARES) == (1000, 499_000)


@pytest.mark.parametrize("quantity", [1000, 2000, 37_000, 499_000])
@pytest.mark.parametrize("market_type", [MarketType.COMMON, MarketType.FIXING, MarketType.EMG])
def test_whole_lots_are_accepted_on_board_lot_markets(
    quantity: int, market_type: MarketType
) -> None:
    """Whole 1000-share lots up to 499 lots are fine on board-lot markets."""
    assert quantity_problem(quantity, market_type) is None


@pytest.mark.parametrize("quantity", [1, 999, 1001, 1500, 499_001])
def test_part_lots_are_refused_on_the_common_market(quantity: int) -> None:
    """A quantity that is not a whole number of lots is refused on the common board."""
    problem = quantity_problem(quantity, MarketType.COMMON)
    assert problem is not None and "1000-share lots" in problem


@pytest.mark.parametrize("quantity", [500_000, 1_000_000])
def test_more_than_499_lots_is_refused(quantity: int) -> None:
    """A board-lot order over 499 000 shares is refused."""
    problem = quantity_problem(quantity, MarketType.COMMON)
    assert problem is not None and "maximum" in problem


@pytest.mark.parametrize("quantity", [1, 500, 999])
@pytest.mark.parametrize(
    "market_type", [MarketType.ODD, MarketType.INTRADAY_ODD, MarketType.EMG_ODD]
)
def test_odd_lots_are_accepted_on_odd_lot_markets(quantity: int, market_type: MarketType) -> None:
    """1 to 999 shares are fine on every odd-lot market."""
    assert quantity_problem(quantity, market_type) is None


@pytest.mark.parametrize("quantity", [1000, 2000, 1001])
@pytest.mark.parametrize("market_type", [MarketType.ODD, MarketType.INTRADAY_ODD])
def test_a_full_lot_is_refused_on_odd_lot_markets(quantity: int, market_type: MarketType) -> None:
    """1000 shares or more is not an odd lot."""
    problem = quantity_problem(quantity, market_type)
    assert problem is not None and "not an odd lot" in problem


@pytest.mark.parametrize("quantity", [0, -1, -1000])
@pytest.mark.parametrize("market_type", [MarketType.COMMON, MarketType.INTRADAY_ODD])
def test_a_quantity_below_one_share_is_refused(quantity: int, market_type: MarketType) -> None:
    """Zero or negative shares is refused on every market."""
    problem = quantity_problem(quantity, market_type)
    assert problem is not None and "at least 1 share" in problem


# -- session phases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "phase"),
    [
        (time(0, 0), Phase.CLOSED),
        (time(8, 29, 59), Phase.CLOSED),
        (time(8, 29, 59, 999_999), Phase.CLOSED),
        (time(8, 30), Phase.PRE_OPEN),
        (time(8, 59, 59, 999_999), Phase.PRE_OPEN),
        (time(9, 0), Phase.CONTINUOUS),
        (time(13, 24, 59, 999_999), Phase.CONTINUOUS),
        (time(13, 25), Phase.CLOSING_CALL),
        (time(13, 29, 59, 999_999), Phase.CLOSING_CALL),
        (time(13, 30), Phase.CLOSED),
        (time(23, 59, 59, 999_999), Phase.CLOSED),
    ],
)
def test_phase_changes_exactly_at_each_boundary(moment: time, phase: Phase) -> None:
    """08:30 opens pre-open, 09:00 continuous, 13:25 the closing call, 13:30 closes."""
    assert phase_at(moment) is phase


@pytest.mark.parametrize(
    ("phase", "is_call", "accepts"),
    [
        (Phase.CLOSED, False, False),
        (Phase.PRE_OPEN, True, True),
        (Phase.CONTINUOUS, False, True),
        (Phase.CLOSING_CALL, True, True),
    ],
)
def test_phase_flags(phase: Phase, is_call: bool, accepts: bool) -> None:
    """Only the two call phases collect for an auction; only closed takes no orders."""
    assert (phase.is_call, phase.accepts_orders) == (is_call, accepts)


CALL_PHASES = [Phase.PRE_OPEN, Phase.CLOSING_CALL]
LIMIT_STYLE = [PriceType.LIMIT, PriceType.LIMIT_UP, PriceType.LIMIT_DOWN, PriceType.REFERENCE]


@pytest.mark.parametrize("phase", CALL_PHASES)
@pytest.mark.parametrize("tif", list(TimeInForce))
def test_market_orders_are_refused_in_call_phases(phase: Phase, tif: TimeInForce) -> None:
    """A market order of any time in force is refused while orders collect for an auction."""
    problem = order_type_problem(phase, PriceType.MARKET, tif)
    assert problem is not None and "continuous trading" in problem


@pytest.mark.parametrize("phase", CALL_PHASES)
@pytest.mark.parametrize("price_type", LIMIT_STYLE)
@pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
def test_ioc_and_fok_are_refused_in_call_phases(
    phase: Phase, price_type: PriceType, tif: TimeInForce
) -> None:
    """IOC and FOK limit orders are refused while orders collect for an auction."""
    problem = order_type_problem(phase, price_type, tif)
    assert problem is not None and str(tif) in problem


@pytest.mark.parametrize("phase", CALL_PHASES)
@pytest.mark.parametrize("price_type", LIMIT_STYLE)
def test_limit_rod_is_accepted_in_call_phases(phase: Phase, price_type: PriceType) -> None:
    """Limit-style ROD orders are the one kind a call phase takes."""
    assert order_type_problem(phase, price_type, TimeInForce.ROD) is None


@pytest.mark.parametrize("price_type", list(PriceType))
@pytest.mark.parametrize("tif", list(TimeInForce))
def test_every_order_type_is_refused_when_closed(price_type: PriceType, tif: TimeInForce) -> None:
    """Outside 08:30–13:30 every order is refused."""
    problem = order_type_problem(Phase.CLOSED, price_type, tif)
    assert problem is not None and "closed" in problem


@pytest.mark.parametrize("price_type", list(PriceType))
@pytest.mark.parametrize("tif", list(TimeInForce))
def test_every_order_type_is_accepted_in_continuous_trading(
    price_type: PriceType, tif: TimeInForce
) -> None:
    """Market, IOC and FOK orders, like limit ROD, are taken in continuous trading."""
    assert order_type_problem(Phase.CONTINUOUS, price_type, tif) is None


def test_the_band_above_1000_can_take_a_one_twd_tick() -> None:
    """The reviewed 1-TWD tick above 1000 is a ladder change, not a code change."""
    ladder = STOCK_TICKS.with_tick(Decimal(1000), Decimal(1))
    assert ladder.is_on_tick(Decimal("1001"))
    assert not STOCK_TICKS.is_on_tick(Decimal("1001"))
    assert price_band(Decimal("1050"), ladder).limit_up_twd == Decimal("1155")
    assert ladder.tick_for(Decimal("999")) == STOCK_TICKS.tick_for(Decimal("999"))
