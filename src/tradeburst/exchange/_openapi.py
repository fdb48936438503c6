"""`GET /openapi.json`: the API described from the same msgspec structs that decode the
requests, so the description cannot drift from what the server accepts."""

from __future__ import annotations

from typing import Any

import msgspec

from tradeburst.exchange._batch_changes import BATCH_CHANGES
from tradeburst.wire import (
    AdminOrders,
    AdminStats,
    BatchBody,
    CountedEnvelope,
    Envelope,
    FilledData,
    LimitsAnswer,
    ModifyPriceBody,
    ModifyQuantityBody,
    OrderResult,
    PlaceOrderBody,
    PositionData,
    Quote,
    SymbolInfo,
    TimeAnswer,
)

__all__ = ["openapi_spec"]

_REF = "#/components/schemas/{name}"


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": _REF.format(name=name)}


def _answers(data: dict[str, Any] | None, *errors: int) -> dict[str, Any]:
    """200 with the schema `data` (the bare envelope when None), then the error answers,
    which always come in the envelope."""
    texts = {
        400: "malformed body or impossible order",
        401: "missing or wrong key",
        404: "unknown order or symbol",
        415: "a body not sent as Content-Type: application/json",
        429: "broker limit (業務系統流量控管) or connection limit",
        503: "injected fault: nothing was placed",
    }
    ok = data if data is not None else _ref("Envelope")
    answers: dict[str, Any] = {"200": {"description": "answered", "content": _json(ok)}}
    for status in (401, *errors):
        answers[str(status)] = {"description": texts[status], "content": _json(_ref("Envelope"))}
    return answers


def _enveloped(data: dict[str, Any]) -> dict[str, Any]:
    return {"allOf": [_ref("Envelope"), {"type": "object", "properties": {"data": data}}]}


def _counted(data: dict[str, Any]) -> dict[str, Any]:
    """An order action's answer: the envelope with the rate limit's stamp (`counted_ns`)."""
    return {"allOf": [_ref("CountedEnvelope"), {"type": "object", "properties": {"data": data}}]}


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


def _operation(
    summary: str,
    ok: dict[str, Any] | None,
    *errors: int,
    body: str | None = None,
    params: list[Any] | None = None,
) -> dict[str, Any]:
    if body is not None:
        errors = tuple(sorted({*errors, 415}))
    operation: dict[str, Any] = {"summary": summary, "responses": _answers(ok, *errors)}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(_ref(body))}
    if params:
        operation["parameters"] = params
    return operation


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


_ACCOUNT_STREAM = (
    "WebSocket. The server sends {event: subscribed, epoch, seq} and then, per account, "
    "numbered {event: order, seq, data: OrderResult} and {event: filled, seq, data: "
    "FilledData}. "
    "A jump in seq after a reconnect means events were missed, a new epoch that the exchange "
    "restarted: reconcile with GET /v1/orders."
)
_MARKET_DATA = (
    "WebSocket. Send {event: subscribe|unsubscribe, data: {channel: trades|books, symbol}}. "
    "The server answers {event: subscribed, data}, then {event: snapshot, channel, symbol, "
    "epoch, seq, data} and numbered {event: data, channel, symbol, seq, data}: trades carry "
    "price, size, volume, time (µs) and isOpen/isClose/isTrial flags; books are a "
    "BookSnapshot. "
    "A bad frame gets {event: error, data: {message}} and the socket stays open."
)


def _information_paths() -> dict[str, Any]:
    """The clock, the limits, the symbols and the quotes."""
    return {
        "/v1/time": {
            "get": _operation(
                "The exchange clock, as this request's arrival stamp (taken as an order's is)",
                _ref("TimeAnswer"),
            )
        },
        "/v1/limits": {
            "get": _operation(
                "The broker limits enforced on each account", _enveloped(_ref("LimitsAnswer"))
            )
        },
        "/v1/symbols": {
            "get": _operation(
                "Listed symbols with reference and limit prices", _enveloped(_list_of("SymbolInfo"))
            )
        },
        "/v1/quotes/{symbol}": {
            "get": _operation(
                "5-level book, last price, volume and phase",
                _enveloped(_ref("Quote")),
                404,
                params=[_path_param("symbol")],
            )
        },
    }


def _order_paths() -> dict[str, Any]:
    """Placing, changing and listing orders."""
    order_no = [_path_param("order_no")]
    change_errors = (400, 404, 429, 503)
    result = _counted(_ref("OrderResult"))
    return {
        "/v1/orders": {
            "post": _operation(
                "Place one order (is_success false with the reason if the exchange rejects it)",
                result,
                400,
                429,
                503,
                body="PlaceOrderBody",
            ),
            "get": _operation(
                "Today's order results of the account",
                _enveloped(_list_of("OrderResult")),
                429,
                params=[
                    {
                        "name": "user_def",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    }
                ],
            ),
        },
        "/v1/orders/batch": {
            "post": _operation(
                "Place up to 30 orders in one call; each result says accepted or rejected",
                _counted(_list_of("OrderResult")),
                400,
                429,
                503,
                body="BatchBody",
            )
        },
        **{
            f"/v1/orders/batch-{action}": {
                "post": _operation(
                    f"{summary}; each change answered on its own, in order",
                    _counted({"type": "array", "items": _ref("Envelope")}),
                    400,
                    429,
                    503,
                    body=body.__name__,
                )
            }
            for action, summary, body in BATCH_CHANGES
        },
        "/v1/orders/{order_no}/cancel": {
            "post": _operation("Cancel an order", result, *change_errors, params=order_no)
        },
        "/v1/orders/{order_no}/modify-price": {
            "post": _operation(
                "Reprice a limit order (it loses its queue place)",
                result,
                *change_errors,
                body="ModifyPriceBody",
                params=order_no,
            )
        },
        "/v1/orders/{order_no}/modify-quantity": {
            "post": _operation(
                "Reduce an order's quantity (it keeps its queue place)",
                result,
                *change_errors,
                body="ModifyQuantityBody",
                params=order_no,
            )
        },
    }


def _fill_and_stream_paths() -> dict[str, Any]:
    """The fills and the two WebSocket streams."""
    return {
        "/v1/fills": {
            "get": _operation(
                "Today's fills of the account", _enveloped(_list_of("FilledData")), 429
            )
        },
        "/v1/positions": {
            "get": _operation(
                "What the account holds, from today's fills",
                _enveloped(_list_of("PositionData")),
                429,
            )
        },
        "/v1/stream": {
            "get": {"summary": _ACCOUNT_STREAM, "responses": {"101": {"description": "upgrade"}}}
        },
        "/v1/marketdata": {
            "get": {"summary": _MARKET_DATA, "responses": {"101": {"description": "upgrade"}}}
        },
    }


def _admin_paths() -> dict[str, Any]:
    """The admin routes, behind the admin key."""
    return {
        "/v1/admin/orders": {
            "get": _operation(
                "Every accepted order of every account, with its arrival stamp (admin key)",
                _ref("AdminOrders"),
            )
        },
        "/v1/admin/stats": {
            "get": _operation(
                "Requests, rate-limit refusals, connection refusals, faults (admin key)",
                _ref("AdminStats"),
            )
        },
    }


def openapi_spec() -> dict[str, Any]:
    _, components = msgspec.json.schema_components(
        [
            PlaceOrderBody,
            BatchBody,
            ModifyPriceBody,
            ModifyQuantityBody,
            *(body for _, _, body in BATCH_CHANGES),
            OrderResult,
            FilledData,
            PositionData,
            Envelope,
            CountedEnvelope,
            TimeAnswer,
            LimitsAnswer,
            SymbolInfo,
            Quote,
            AdminOrders,
            AdminStats,
        ],
        ref_template=_REF,
    )
    paths: dict[str, Any] = {
        **_information_paths(),
        **_order_paths(),
        **_fill_and_stream_paths(),
        **_admin_paths(),
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "tradeburst rehearsal exchange", "version": "1"},
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
