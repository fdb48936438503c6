"""What a resume runs by: what the user gives again wins, the rest comes from the run's
journal; the headroom, which only keeps requests clear of the limits, is the larger."""

from __future__ import annotations

from tradeburst.engine import FireOptions
from tradeburst.engine._run_terms import with_run_options


def test_a_headroom_raised_for_the_resume_is_kept() -> None:
    stored = {"profile": "fubon", "max_batch": 30, "headroom_s": 0.002}
    resumed = with_run_options(FireOptions(headroom_s=0.05), stored)
    assert (resumed.headroom_s, resumed.profile, resumed.max_batch) == (0.05, "fubon", 30)


def test_a_resume_never_runs_closer_to_the_limits_than_its_run() -> None:
    resumed = with_run_options(FireOptions(headroom_s=0.001), {"headroom_s": 0.02})
    assert resumed.headroom_s == 0.02


def test_a_journal_without_a_headroom_keeps_the_given_one() -> None:
    assert with_run_options(FireOptions(headroom_s=0.004), {}).headroom_s == 0.004
