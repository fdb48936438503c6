"""The exchange's rate gate counts by stamps, whatever order requests are handled in:
checked against a brute-force model of a sliding window (every window (e - W, e] holds at
most N counted stamps), and, in stamp order, against the plain rule (the window that ends
at the request's stamp). Requests are batches whose every order counts (a profile with no
batch window of its own), so a request may count several at one stamp."""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from tradeburst.exchange._profiles import RATE_LIMIT_MESSAGE, RateGate
from tradeburst.limits import LimitClass, LimitProfile, Window

_MS = 1_000_000
WINDOW_NS = 100 * _MS


def _profile(requests: int, *, suspension_s: float = 0.0) -> LimitProfile:
    return LimitProfile(
        name="model",
        limits={LimitClass.ORDER: Window(requests=requests, seconds=WINDOW_NS / 1e9)},
        suspension_s=suspension_s,
        batch_counts_orders=True,
    )


def _fits(counted: list[int], stamp_ns: int, count: int, requests: int) -> bool:
    """Brute force: with `count` more at `stamp_ns`, does every window stay within limit?"""
    stamps = [*counted, *[stamp_ns] * count]
    return all(sum(end - WINDOW_NS < s <= end for s in stamps) <= requests for end in stamps)


_requests = st.lists(
    st.tuples(st.integers(0, 400 * _MS), st.integers(1, 3)), min_size=1, max_size=40
)


@settings(max_examples=200, deadline=None)
@given(requests=st.integers(1, 6), handled=_requests)
def test_out_of_order_stamps_are_admitted_exactly_when_every_window_stays_within_the_limit(
    requests: int, handled: list[tuple[int, int]]
) -> None:
    """Handled in any order, a request is admitted if and only if, with it, no window of
    stamps holds more than the limit; so no window ever does."""
    gate = RateGate(_profile(requests))
    counted: list[int] = []
    for stamp_ns, count in handled:
        fits = _fits(counted, stamp_ns, count, requests)
        refusal = gate.admit(LimitClass.BATCH, gate.countable(stamp_ns), count)
        assert (refusal is None) == fits, (stamp_ns, count, counted)
        if refusal is None:
            counted.extend([stamp_ns] * count)
    assert all(sum(e - WINDOW_NS < s <= e for s in counted) <= requests for e in counted)


@settings(max_examples=200, deadline=None)
@given(requests=st.integers(1, 6), handled=_requests)
def test_in_stamp_order_it_is_the_plain_sliding_window(
    requests: int, handled: list[tuple[int, int]]
) -> None:
    """Handled in stamp order, it refuses exactly what the window ending at each stamp
    refuses (the rule before stamps could come out of order)."""
    gate = RateGate(_profile(requests))
    window: deque[int] = deque()
    for stamp_ns, count in sorted(handled):
        while window and window[0] <= stamp_ns - WINDOW_NS:
            window.popleft()
        plain = len(window) + count <= requests
        if plain:
            window.extend([stamp_ns] * count)
        assert (gate.admit(LimitClass.BATCH, stamp_ns, count) is None) == plain


def test_an_earlier_stamp_handled_later_is_refused_if_a_later_window_would_overflow() -> None:
    """Two counted at 50 ms and 120 ms with a limit of 2: a request stamped 60 ms, handled
    last, is refused, since (20 ms, 120 ms] would hold three, though (-40 ms, 60 ms]
    holds one."""
    gate = RateGate(_profile(2))
    assert gate.admit(LimitClass.ORDER, 50 * _MS) is None
    assert gate.admit(LimitClass.ORDER, 120 * _MS) is None
    assert gate.admit(LimitClass.ORDER, 60 * _MS) == RATE_LIMIT_MESSAGE
    assert gate.admit(LimitClass.ORDER, 160 * _MS) is None  # (60, 160]: only 120 ms


def test_a_suspension_starts_at_the_breaching_stamp() -> None:
    """A breach suspends the stamps from its own on; a request stamped before the breach
    but handled after it is judged by its windows alone."""
    gate = RateGate(_profile(1, suspension_s=1.0))
    assert gate.admit(LimitClass.ORDER, 500 * _MS) is None
    assert gate.admit(LimitClass.ORDER, 550 * _MS) == RATE_LIMIT_MESSAGE
    assert "suspended" in (gate.admit(LimitClass.ORDER, 900 * _MS) or "")
    assert gate.admit(LimitClass.ORDER, 300 * _MS) is None  # (200, 300] and (300, 400]
    assert gate.admit(LimitClass.ORDER, 1_600 * _MS) is None  # the suspension is over


def test_a_stamp_older_than_the_gate_remembers_is_counted_at_its_memory_edge() -> None:
    """A stamp from before the gate's memory is counted at the oldest stamp it can still
    judge, so it cannot slip past stamps the gate has forgotten."""
    gate = RateGate(_profile(1), memory_s=1.0)
    assert gate.admit(LimitClass.ORDER, 5_000 * _MS) is None
    edge_ns = 4_000 * _MS
    assert gate.countable(1_000 * _MS) == edge_ns
    assert gate.countable(4_500 * _MS) == 4_500 * _MS
