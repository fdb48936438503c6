"""Answering over HTTP: the envelope (`tradeburst.wire.Envelope`, which mirrors the Fubon
SDK's `Result{is_success, message, data}`) as an aiohttp response, and what the Fubon SDK
does to a client's tag before it sends an order.

HTTP status codes: 200 whenever the exchange gave an answer, including a business refusal
(`is_success: false`, with the reason); 400 for a malformed body; 401 for a missing or
wrong key; 404 for an unknown order or symbol; 429 for a broker limit (the message
contains `業務系統流量控管`); 503 for an injected error, when nothing was placed.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from tradeburst.errors import TradeburstError
from tradeburst.model import USER_DEF_MAX_LEN, is_valid_user_def
from tradeburst.wire import Envelope

__all__ = ["Answered", "error_response", "fubon_user_def", "json_response"]


def fubon_user_def(raw: str | None) -> tuple[str | None, str | None]:
    """What Fubon's SDK (2.3.1) sends for `raw`, and its warning: letters and digits only,
    at most 10 of them; longer is cut, anything else is cleared. The order goes either way."""
    if raw is None or (raw and len(raw) <= USER_DEF_MAX_LEN and is_valid_user_def(raw)):
        return raw or None, None
    if raw.isascii() and raw.isalnum():
        kept = raw[:USER_DEF_MAX_LEN]
        return (
            kept,
            f"[委託單資訊] 自訂欄位長度超過10位元，您的文字[{raw}]，系統將進行自動截取 ({kept})",
        )
    return (
        None,
        f"[委託單資訊] 自訂欄位包含無效字元[{raw}]，已清空該欄位；請使用英數字 (a-z, A-Z, 0-9)",
    )


class Answered(TradeburstError):
    """Raised inside a handler to answer at once with `response` (the gateway answers it)."""

    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response


_encode = msgspec.json.Encoder().encode


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=_encode(payload), status=status, content_type="application/json")


def error_response(status: int, message: str) -> web.Response:
    return json_response(Envelope(is_success=False, message=message), status)
