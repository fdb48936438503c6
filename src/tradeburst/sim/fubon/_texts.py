"""Fubon's refusal texts for what the rehearsal exchange refuses in its own words, and
which refusals the broker's system gives at once (no status-4 report first) and which its
back end gives after one. A refusal the table does not know keeps the exchange's text.

Fubon's texts come in two forms: the callback's `code` is `[n]text`, and `Result.message`
is the text without the `[n]` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FubonRefusal", "change_refusal", "new_order_refusal"]

PRICE_OUT_OF_BAND = "單價輸入錯誤[4385715]"
PRICE_OUT_OF_BAND_CODE = "[4385715]"
_SAME_PRICE = ("[154]", "證券改價限價格格和原價格相同==>[{seq}]")
_MORE_QUANTITY = ("[164]", "證券減量使用剩餘數量大於有效單位數量==>[{seq}]")
_NOT_CANCELLABLE = ("[115]", "證券委託目前狀態取消單已不允許取消交易")
_PARTLY_FILLED_NOT_CANCELLABLE = ("[115]", "證券委託目前狀態部分成交單已不允許取消交易")

_OUTSIDE_LIMITS = "is outside today's limits"
"""The exchange's words for a price outside the day's band (`exchange/_admission.py`)."""


@dataclass(frozen=True, slots=True)
class FubonRefusal:
    code: str
    """The callback's `code`: `[n]text`, or the exchange's text when Fubon's is not known."""
    message: str
    """`Result.message` and `error_message`."""
    backend: bool
    """Refused by the back end, after a status-4 report; otherwise by the system, at once."""


def new_order_refusal(exchange_text: str | None) -> FubonRefusal:
    text = exchange_text or ""
    if _OUTSIDE_LIMITS in text:
        return FubonRefusal(PRICE_OUT_OF_BAND_CODE + PRICE_OUT_OF_BAND, PRICE_OUT_OF_BAND, True)
    return FubonRefusal(text, text, True)


def change_refusal(
    exchange_text: str | None, status: int, seq_no: str | None, partly_filled: bool
) -> FubonRefusal:
    """The refusal of a price change (19), quantity change (29) or cancel (39)."""
    text = exchange_text or ""
    known: tuple[str, str] | None = None
    if status == 19 and "is the order's current price" in text:
        known = _SAME_PRICE
    elif status == 29 and "can only be reduced" in text:
        known = _MORE_QUANTITY
    elif status == 39 and "can no longer be cancelled" in text:
        known = _PARTLY_FILLED_NOT_CANCELLABLE if partly_filled else _NOT_CANCELLABLE
    if known is not None:
        prefix, message = known[0], known[1].format(seq=seq_no or "")
        return FubonRefusal(prefix + message, message, False)
    if _OUTSIDE_LIMITS in text:
        return FubonRefusal(PRICE_OUT_OF_BAND_CODE + PRICE_OUT_OF_BAND, PRICE_OUT_OF_BAND, True)
    return FubonRefusal(text, text, False)
