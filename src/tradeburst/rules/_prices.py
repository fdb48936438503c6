"""The one way a price is written, wherever tradeburst reads one (an orders file, the
exchange's API): ASCII digits with at most one decimal point between digits, nothing else.
No sign, exponent, spaces, full-width digits, NaN or Infinity: each has been read as some
other price by some parser, and a price is money. Bounded, so no text costs much to read."""

from __future__ import annotations

import re
from decimal import Decimal

from tradeburst.errors import TradeburstError

__all__ = ["PRICE_PATTERN", "PriceError", "parse_price"]

PRICE_PATTERN = r"^[0-9]{1,9}(\.[0-9]{1,6})?$"
"""The rule as a JSON-schema pattern (ECMA-262 and Python agree on it)."""

_PRICE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,6})?", re.ASCII)


class PriceError(TradeburstError, ValueError):
    """Not a price as tradeburst writes one; the message says why, without the text."""


def parse_price(text: str) -> Decimal:
    """`text` as a positive Decimal; raises `PriceError` if it is not written plainly
    (digits, at most nine before the point and six after) or is zero."""
    if not _PRICE.fullmatch(text):
        raise PriceError("is not a price written plainly in digits, like 40.65")
    price = Decimal(text)
    if not price:
        raise PriceError("must be positive")
    return price
