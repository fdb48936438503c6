"""The exchange's fast body decoder (`exchange/_lenient.py`) against msgspec's strict one:
for any body, the same value or the same refusal, word for word."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeburst.exchange._lenient import BodyDecoder
from tradeburst.wire import (
    BatchBody,
    BatchModifyPriceBody,
    ModifyPriceBody,
    ModifyQuantityBody,
    PlaceOrderBody,
)

_SAMPLE_TEXTS = [
    "2891", "2891\n", "", "A" * 12, "A" * 13, "２３", "40.60", "40.6\n", "1234567890",
    "0.1234567", "1e3", " 1", "-1", "40.", ".5", "00040.600000", "Buy", "Limit",
]  # fmt: skip
"""Texts at the edges of the patterns: `$` lets a final newline through, as msgspec's does."""
_TEXTS = st.one_of(st.sampled_from(_SAMPLE_TEXTS), st.text(max_size=14))
_VALUES = st.one_of(_TEXTS, st.none(), st.integers(-5, 10**10), st.floats(), st.booleans())
_FIELDS = st.sampled_from(
    ["symbol", "buy_sell", "quantity", "price", "price_type", "time_in_force", "market_type",
     "order_type", "user_def", "order_no", "unknown"]
)  # fmt: skip
_OBJECTS = st.dictionaries(_FIELDS, _VALUES, max_size=6)
_GOOD_ORDER = st.fixed_dictionaries(
    {"symbol": st.sampled_from(["2891", "2330"]), "buy_sell": st.sampled_from(["Buy", "Sell"]),
     "quantity": st.integers(1, 5000), "price": _TEXTS}
)  # fmt: skip
_ORDERS = st.one_of(_OBJECTS, _GOOD_ORDER)
_BODIES: dict[type[Any], st.SearchStrategy[Any]] = {
    PlaceOrderBody: _ORDERS,
    BatchBody: st.fixed_dictionaries({"orders": st.lists(_ORDERS, max_size=4)}),
    ModifyPriceBody: _OBJECTS,
    ModifyQuantityBody: _OBJECTS,
    BatchModifyPriceBody: st.fixed_dictionaries(
        {"changes": st.lists(st.fixed_dictionaries({"order_no": _TEXTS, "price": _TEXTS}))}
    ),
}


def _outcome(decode: Any, raw: bytes) -> tuple[str, Any]:
    try:
        return "decoded", msgspec.to_builtins(decode(raw))
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("kind", list(_BODIES), ids=lambda kind: kind.__name__)
def test_any_body_decodes_as_the_strict_decoder_decodes_it(kind: type[Any]) -> None:
    """Same value, or the same refusal naming the same field, as msgspec's strict decoder."""
    fast = BodyDecoder(kind)
    strict = msgspec.json.Decoder(kind)

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=_BODIES[kind], cut=st.integers(0, 3))
    def check(body: Any, cut: int) -> None:
        raw = msgspec.json.encode(body)
        raw = raw[: len(raw) - cut]  # some cut short: not JSON at all
        for _ in range(2):  # twice: the second time the passed texts are remembered
            assert _outcome(fast.decode, raw) == _outcome(strict.decode, raw)

    check()


def test_a_bad_symbol_is_refused_naming_its_field() -> None:
    """A pattern the fast path leaves to its own check still refuses with msgspec's words."""
    decoder = BodyDecoder(BatchBody)
    raw = b'{"orders": [{"symbol": "2891", "buy_sell": "Buy", "quantity": 1000, "price": "1"},'
    raw += b'{"symbol": "28 91", "buy_sell": "Buy", "quantity": 1000, "price": "1"}]}'
    with pytest.raises(msgspec.ValidationError, match=r"\$\.orders\[1\]\.symbol"):
        decoder.decode(raw)
