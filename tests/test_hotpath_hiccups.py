"""The probe of a bare core: pauses turned into the wait of a tick arriving at a random
moment, checked against waits worked out by hand, and a real probe of this machine."""

from __future__ import annotations

import gc
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeburst.hotpath import Hiccups, measure_hiccups

MS = 1_000_000


def test_twenty_one_ms_pauses_a_second_put_the_p99_moment_half_way_into_one() -> None:
    """2 % of the time is paused; the slowest 1 % of moments are the first halves of
    the pauses, so the p99 wait is 500 µs."""
    hiccups = Hiccups(1.0, (MS,) * 20)
    assert hiccups.lost_fraction == pytest.approx(0.02)
    assert hiccups.per_second == 20
    assert hiccups.longest_us == 1000
    assert hiccups.wait_us(0.99) == pytest.approx(500)


def test_pauses_of_less_than_the_quantile_leave_its_wait_under_the_threshold() -> None:
    """0.6 % of the time paused: the p99 moment is not in a pause, the p99.9 one is."""
    hiccups = Hiccups(1.0, (5_000,) * 1000 + (100_000,) * 10)
    assert hiccups.wait_us(0.99) is None
    # The p99.9 wait is the w at which the moments waiting longer than w (the first
    # g - w of every pause longer than w) add up to 0.1 % of the time.
    wait = hiccups.wait_us(0.999)
    assert wait is not None
    share_over = sum(max(0.0, p / 1000 - wait) for p in hiccups.pauses_ns) / 1e6
    assert share_over == pytest.approx(0.001)


def share_waiting_longer(pauses_ns: tuple[int, ...], seconds: float, wait_ns: float) -> float:
    """The share of moments whose wait is over `wait_ns`: the first g - w of each pause."""
    return sum(max(0.0, pause - wait_ns) for pause in pauses_ns) / (seconds * 1e9)


@given(
    pauses=st.lists(st.integers(1_001, 5_000_000), max_size=60).map(tuple),
    quantile=st.sampled_from([0.9, 0.99, 0.999]),
)
def test_the_wait_leaves_exactly_the_quantiles_share_of_moments_waiting_longer(
    pauses: tuple[int, ...], quantile: float
) -> None:
    """Against the definition: at the wait returned, the moments waiting longer are
    1 - quantile of the time; None only when even the threshold leaves fewer."""
    hiccups = Hiccups(0.1, pauses)
    wait = hiccups.wait_us(quantile)
    if wait is None:
        assert share_waiting_longer(pauses, 0.1, 1000) <= (1 - quantile) + 1e-12
    else:
        assert wait >= 1
        assert share_waiting_longer(pauses, 0.1, wait * 1000) == pytest.approx(1 - quantile)


def test_probes_join_into_one_over_their_summed_time() -> None:
    joined = Hiccups.joined([Hiccups(0.5, (2_000,)), Hiccups(0.25, (3_000, 4_000))])
    assert joined == Hiccups(0.75, (2_000, 3_000, 4_000))
    with pytest.raises(ValueError, match="thresholds"):
        Hiccups.joined([Hiccups(1.0, (), 1000), Hiccups(1.0, (), 500)])


def test_a_real_probe_keeps_only_pauses_over_its_threshold_and_restores_the_process() -> None:
    affinity = os.sched_getaffinity(0)
    hiccups = measure_hiccups(0.05, realtime=False, threshold_ns=2_000)
    assert hiccups.seconds >= 0.05  # a pause over the end makes it longer, and counts
    assert all(pause > 2_000 for pause in hiccups.pauses_ns)
    assert 0 <= hiccups.lost_fraction <= 1
    assert os.sched_getaffinity(0) == affinity
    assert gc.isenabled()
