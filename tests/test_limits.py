"""The broker limit windows: frozen values, refused when they cannot describe a limit."""

from __future__ import annotations

import math

import msgspec
import pytest

from tradeburst.limits import PROFILES, LimitClass, Window


@pytest.mark.parametrize(
    ("requests", "seconds"), [(0, 1.0), (-1, 1.0), (1, -0.5), (1, math.inf), (1, math.nan)]
)
def test_a_window_that_cannot_be_a_limit_is_refused(requests: int, seconds: float) -> None:
    """No requests at all, a negative span or an endless one is a mistake, not a limit."""
    with pytest.raises(ValueError, match="a window"):
        Window(requests=requests, seconds=seconds)


def test_a_window_is_frozen() -> None:
    """A profile's windows are shared by every throttle and gate: nothing may change them."""
    window = PROFILES["fubon"].limits[LimitClass.ORDER]
    with pytest.raises(AttributeError, match="immutable type: 'Window'"):
        window.requests = 51  # type: ignore[misc]


def test_a_window_keeps_the_apis_field_name() -> None:
    """Encoded, the span is `window_s`, as `/v1/limits` has always named it."""
    encoded = msgspec.json.encode(Window(requests=50, seconds=1.0))
    assert encoded == b'{"requests":50,"window_s":1.0}'
    assert msgspec.json.decode(encoded, type=Window) == Window(requests=50, seconds=1.0)
