"""What the shared-throttle tests check in the exchange's own records: that no window of
a limit class ever held more requests than the profile allows, by the receive stamps."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tradeburst.limits import PROFILES, LimitClass


def most_in_a_window(stamps_ns: list[int], window_ns: int) -> int:
    stamps_ns = sorted(stamps_ns)
    most, first = 0, 0
    for last, stamp in enumerate(stamps_ns):
        while stamp - stamps_ns[first] >= window_ns:
            first += 1
        most = max(most, last - first + 1)
    return most


def assert_within_windows(records: list[dict[str, Any]], profile_name: str) -> None:
    """By the exchange's receive stamps: a batch call's orders share one stamp."""
    calls: dict[int, int] = defaultdict(int)
    for record in records:
        calls[record["received_ns"]] += 1
    profile = PROFILES[profile_name]
    singles = [stamp for stamp, size in calls.items() if size == 1]
    batches = [stamp for stamp, size in calls.items() if size > 1]
    weighted = [stamp for stamp, size in calls.items() for _ in range(size)]
    for limit_class, stamps in (
        (LimitClass.ORDER, weighted if profile.batch_counts_orders else singles),
        (LimitClass.BATCH, batches),
    ):
        window = profile.limits.get(limit_class)
        if window is not None:
            assert most_in_a_window(stamps, int(window.seconds * 1e9)) <= window.requests
