"""The one price rule (`tradeburst.rules.parse_price`): plain ASCII digits with at most
one decimal point between digits, positive, bounded; everything else refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeburst.rules import PriceError, parse_price


@pytest.mark.parametrize(
    ("text", "price"),
    [("40", "40"), ("40.65", "40.65"), ("0.5", "0.5"), ("999999999.999999", "999999999.999999")],
)
def test_a_plain_price_is_its_decimal(text: str, price: str) -> None:
    """Digits with one optional point are read exactly, as Decimal."""
    assert parse_price(text) == Decimal(price)
    assert str(parse_price(text)) == price


@pytest.mark.parametrize(
    "text",
    ["４０", "٤٠", " 40", "40 ", "4e1", "4E+1", "NaN", "Infinity", "+40", "-40", "40.", ".5",
     "1.2.3", "", "40\n", "40,5", "1234567890", "1.1234567", "0x10", "4_0"],
)  # fmt: skip
def test_anything_else_is_refused(text: str) -> None:
    """Other digits, spaces, exponents, signs, special values and separators are refused."""
    with pytest.raises(PriceError, match="written plainly"):
        parse_price(text)


@pytest.mark.parametrize("text", ["0", "0.00", "000"])
def test_zero_is_refused(text: str) -> None:
    """A price is positive."""
    with pytest.raises(PriceError, match="positive"):
        parse_price(text)
