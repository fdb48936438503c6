"""TWAP slicing, as properties: the children add up to the parent exactly, each is whole
lots and fits one order, every slice falls inside the window, and with a participation cap
no slice sends more than its share of the volume seen, the rest carried and reported."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tradeburst.model import Side
from tradeburst.rules import BOARD_LOT_SHARES, MAX_ORDER_SHARES, STOCK_TICKS
from tradeburst.strategies import (
    PricePolicy,
    TwapParent,
    allowed_lots,
    execute,
    schedule_from,
    twap_schedule,
)

parents = st.builds(
    lambda lots, start, length, slices, cap: TwapParent(
        symbol="2330",
        side=Side.BUY,
        quantity=lots * BOARD_LOT_SHARES,
        start_s=start,
        end_s=start + length,
        slices=min(slices, length),
        participation=cap,
    ),
    lots=st.integers(1, 20_000),
    start=st.integers(9 * 3600, 12 * 3600),
    length=st.integers(1, 4 * 3600),
    slices=st.integers(1, 500),
    cap=st.none() | st.decimals("0.01", "1", places=2),
)


@given(parents)
def test_the_children_add_up_to_the_parent_in_lots_inside_the_window(
    parent: TwapParent,
) -> None:
    """Scheduled children sum to the parent exactly, are whole lots of at most one order's
    size, and every slice starts inside [start, end)."""
    schedule = twap_schedule(parent)
    children = [shares for piece in schedule for shares in piece.children]
    assert sum(children) == parent.quantity
    assert all(c % BOARD_LOT_SHARES == 0 and 0 < c <= MAX_ORDER_SHARES for c in children)
    assert all(parent.start_s <= p.at_s < parent.end_s for p in schedule)
    lots = [p.lots for p in schedule]
    assert max(lots) - min(lots) <= 1


@given(parents, st.floats(0, 1))
def test_a_late_start_deals_the_missed_lots_over_the_slices_left_and_none_after_the_end(
    parent: TwapParent, lateness: float
) -> None:
    """Starting anywhere from the window's start to a little past its end: before the end,
    the slices whose interval has not passed carry every lot of the parent, evenly, the
    one under way first; a start inside the first interval keeps the whole plan; at or
    after the end, nothing is scheduled."""
    now_s = parent.start_s + lateness * 1.1 * (parent.end_s - parent.start_s)
    schedule = schedule_from(parent, now_s)
    if now_s >= parent.end_s:
        assert schedule == []
        return
    planned = twap_schedule(parent)
    step_s = (parent.end_s - parent.start_s) / parent.slices
    assert sum(piece.lots for piece in schedule) == parent.lots
    assert all(now_s < piece.at_s + step_s and piece.at_s < parent.end_s for piece in schedule)
    lots = [piece.lots for piece in schedule]
    assert max(lots) - min(lots) <= 1
    assert [p.index for p in schedule] == [p.index for p in planned[-len(schedule) :]]
    if now_s < parent.start_s + step_s:
        assert schedule == planned


@given(parents, st.lists(st.integers(0, 5_000_000), max_size=500))
def test_a_capped_slice_never_exceeds_its_share_of_the_volume(
    parent: TwapParent, volumes: list[int]
) -> None:
    """Sent lots never exceed cap × volume seen; sent plus left over is the parent; with no
    cap everything is sent."""
    steps, left = execute(parent, twap_schedule(parent), volumes)
    sent = sum(step.lots for step in steps)
    assert sent + left == parent.lots
    if parent.participation is None:
        assert left == 0
        return
    for i, step in enumerate(steps):
        volume = volumes[i] if i < len(volumes) else 0
        assert step.lots * BOARD_LOT_SHARES <= parent.participation * volume
        assert step.lots <= allowed_lots(parent.participation, volume)


def test_the_guides_ten_million_shares() -> None:
    """10,000,000 shares in 48 slices: 208 or 209 lots each, 10,000 lots in all."""
    parent = TwapParent(
        symbol="2330", side=Side.BUY, quantity=10_000_000, start_s=0, end_s=4 * 3600, slices=48
    )
    schedule = twap_schedule(parent)
    assert {p.lots for p in schedule} == {208, 209}
    assert sum(p.shares for p in schedule) == 10_000_000


def test_a_price_policy_moves_by_ticks_and_stays_in_the_band() -> None:
    """Two ticks above a bid of 499.5 cross the 500 band (0.5 then 1.0 ticks); the band
    caps the result."""
    policy = PricePolicy(basis="bid", offset_ticks=2)
    kwargs = {"reference": Decimal(500), "limit_up": Decimal(550), "limit_down": Decimal(450)}
    assert policy.price(STOCK_TICKS, bid=Decimal("499.5"), **kwargs) == Decimal(501)
    assert policy.price(STOCK_TICKS, bid=Decimal(550), **kwargs) == Decimal(550)


def test_an_offset_of_a_billion_ticks_stops_at_the_days_limit() -> None:
    """Stepping stops at the limit (it used to take every one of the billion steps)."""
    kwargs = {"reference": Decimal(500), "limit_up": Decimal(550), "limit_down": Decimal(450)}
    for offset, limit in ((10**9, Decimal(550)), (-(10**9), Decimal(450))):
        policy = PricePolicy(basis="reference", offset_ticks=offset)
        assert policy.price(STOCK_TICKS, **kwargs) == limit


def test_slice_previews_the_schedule_as_json(tmp_path: Path) -> None:
    """`tradeburst slice --json` writes every slice; the children add up to the parent."""
    out = tmp_path / "slice.json"
    done = subprocess.run(
        [sys.executable, "-m", "tradeburst", "slice", "--symbol", "2330", "--side", "Buy",
         "--quantity", "10000000", "--start", "09:00:00", "--end", "13:00:00",
         "--slices", "48", "--json", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert len(document["slices"]) == 48
    assert sum(sum(s["children"]) for s in document["slices"]) == 10_000_000


def test_slice_refuses_more_slices_than_seconds_in_the_window() -> None:
    """A billion slices, or one every picosecond: exit 2 naming the bound, no schedule
    built (it used to fill the memory)."""
    for option in (["--slices", "1000000000"], ["--interval-s", "1e-12"]):
        done = subprocess.run(
            [sys.executable, "-m", "tradeburst", "slice", "--symbol", "2330", "--side", "Buy",
             "--quantity", "10000", *option],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert "at most one a second of the window" in done.stderr  # 15,900 s, 09:00-13:25
        assert "(15900)" in done.stderr
        assert "Traceback" not in done.stderr


def test_slice_refuses_a_parent_that_is_not_whole_lots() -> None:
    """1500 shares: exit 2, the message says lots, no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "tradeburst", "slice", "--symbol", "2330", "--side", "Buy",
         "--quantity", "1500"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "lots" in done.stderr and "Traceback" not in done.stderr


def test_a_start_in_the_hair_between_the_last_interval_and_the_end_schedules_nothing() -> None:
    """Float rounding leaves the last interval's end a hair before the window's: a start
    there finds no slice left (it raised IndexError)."""
    parent = TwapParent(
        symbol="2330", side=Side.BUY, quantity=1563 * BOARD_LOT_SHARES,
        start_s=398.524704744224, end_s=5074.182193447885, slices=1563,
    )  # fmt: skip
    assert schedule_from(parent, 5074.182193447884) == []
