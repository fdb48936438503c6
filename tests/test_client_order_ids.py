"""Run ids and client order ids: six and ten base-36 characters, led by the two-second
slot of the day, unique within a run, and valid as Fubon's user_def."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeburst.engine._ids import MAX_ORDERS_PER_RUN, RUN_ID_LEN, client_order_id, new_run_id
from tradeburst.model import is_valid_user_def

DAY_NS = st.integers(0, 86_400 * 10**9 - 1)
SEQ = st.integers(0, MAX_ORDERS_PER_RUN - 1)


@given(day_ns=DAY_NS)
def test_a_run_id_is_six_base36_characters(day_ns: int) -> None:
    """Run ids are 6 characters of 0-9 and A-Z."""
    run_id = new_run_id(day_ns)
    assert len(run_id) == RUN_ID_LEN == 6
    assert all(ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" for ch in run_id)


@given(day_ns=DAY_NS)
def test_a_run_id_starts_with_the_two_second_slot_of_the_day(day_ns: int) -> None:
    """The first 3 characters are the two-second slot of the day, base 36."""
    assert int(new_run_id(day_ns)[:3], 36) == day_ns // 2_000_000_000


def test_run_ids_of_the_same_instant_differ_in_their_random_tail() -> None:
    """200 runs starting at the same instant share the slot and all but a handful get a
    tail of their own (a constant tail would make every second run collide)."""
    ids = [new_run_id(12 * 3600 * 10**9) for _ in range(200)]
    assert len({run_id[:3] for run_id in ids}) == 1
    assert len({run_id[3:] for run_id in ids}) >= 190


@given(a=st.integers(0, 43_199), b=st.integers(0, 43_199))
def test_run_ids_of_different_slots_differ(a: int, b: int) -> None:
    """Runs in different two-second slots get different run id prefixes."""
    if a != b:
        assert new_run_id(a * 2_000_000_000)[:3] != new_run_id(b * 2_000_000_000)[:3]


@given(day_ns=DAY_NS, seq=SEQ)
def test_a_client_order_id_is_a_valid_ten_character_user_def(day_ns: int, seq: int) -> None:
    """Every client order id is 10 characters that Fubon keeps as user_def."""
    order_id = client_order_id(new_run_id(day_ns), seq)
    assert len(order_id) == 10
    assert is_valid_user_def(order_id)


@given(seq=SEQ)
def test_a_client_order_id_is_its_run_id_and_its_sequence(seq: int) -> None:
    """The id is the run id followed by seq in 4 base-36 digits, so it decodes back."""
    order_id = client_order_id("ABC123", seq)
    assert order_id[:6] == "ABC123"
    assert int(order_id[6:], 36) == seq


@given(seqs=st.sets(SEQ, min_size=2, max_size=200))
def test_client_order_ids_of_one_run_are_unique(seqs: set[int]) -> None:
    """Different sequence numbers never give the same id."""
    assert len({client_order_id("ABC123", seq) for seq in seqs}) == len(seqs)


@pytest.mark.parametrize("seq", [-1, MAX_ORDERS_PER_RUN])
def test_a_sequence_outside_the_run_raises(seq: int) -> None:
    """Past MAX_ORDERS_PER_RUN (or below 0) there is no id."""
    with pytest.raises(ValueError, match="at most"):
        client_order_id("ABC123", seq)


def test_the_last_sequence_of_a_run_has_an_id() -> None:
    """MAX_ORDERS_PER_RUN - 1 is the last id, ZZZZ."""
    assert client_order_id("ABC123", MAX_ORDERS_PER_RUN - 1) == "ABC123ZZZZ"
