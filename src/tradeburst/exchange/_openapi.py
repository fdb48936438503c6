"""`GET /openapi.json`: the API described from the same msgspec structs that decode the
requests, so the description cannot drift from what the server accepts."""

from __future__ import annotations

from typing import Any

import msgspec

from tradeburst.exchange._api import (
    BatchBody,
    Envelope,
    ModifyPriceBody,
    ModifyQuantityBody,
    PlaceOrderBody,
)
from tradeburst.exchange._records import FilledData, OrderResult

__all__ = ["openapi_spec"]

_REF = "#/components/schemas/{name}"


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": _REF.format(name=name)}


def _answers(ok: str, *errors: int) -> dict[str, Any]:
    texts = {
        400: "malformed body or impossible order",
        401: "missing or wrong key",
        404: "unknown order or symbol",
        429: "broker limit (業務系統流量控管) or connection limit",
        503: "injected fault: nothing was placed",
    }
    answers: dict[str, Any] = {"200": {"description": ok, "content": _json(_ref("Envelope"))}}
    for status in (401, *errors):
        answers[str(status)] = {"description": texts[status], "content": _json(_ref("Envelope"))}
    return answers


def _operation(
    summary: str, ok: str, *errors: int, body: str | None = None, params: list[Any] | None = None
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": _answers(ok, *errors)}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(_ref(body))}
    if params:
        operation["parameters"] = params
    return operation


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def openapi_spec() -> dict[str, Any]:
    _, components = msgspec.json.schema_components(
        [
            PlaceOrderBody,
            BatchBody,
            ModifyPriceBody,
            ModifyQuantityBody,
            OrderResult,
            FilledData,
            Envelope,
        ],
        ref_template=_REF,
    )
    order_no = [_path_param("order_no")]
    change_errors = (400, 404, 429, 503)
    paths: dict[str, Any] = {
        "/v1/time": {"get": _operation("Exchange clock: {exchange_time_ns, tz}", "the time")},
        "/v1/symbols": {
            "get": _operation("Listed symbols with reference and limit prices", "symbols")
        },
        "/v1/quotes/{symbol}": {
            "get": _operation(
                "5-level book, last price, volume and phase",
                "quote",
                404,
                params=[_path_param("symbol")],
            )
        },
        "/v1/orders": {
            "post": _operation(
                "Place one order",
                "OrderResult (is_success false if rejected)",
                400,
                429,
                503,
                body="PlaceOrderBody",
            ),
            "get": _operation(
                "Today's order results of the account",
                "list of OrderResult",
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
                "Place up to 30 orders in one call",
                "list of OrderResult",
                400,
                429,
                503,
                body="BatchBody",
            )
        },
        "/v1/orders/{order_no}/cancel": {
            "post": _operation("Cancel an order", "OrderResult", *change_errors, params=order_no)
        },
        "/v1/orders/{order_no}/modify-price": {
            "post": _operation(
                "Reprice a limit order",
                "OrderResult",
                *change_errors,
                body="ModifyPriceBody",
                params=order_no,
            )
        },
        "/v1/orders/{order_no}/modify-quantity": {
            "post": _operation(
                "Reduce an order's quantity",
                "OrderResult",
                *change_errors,
                body="ModifyQuantityBody",
                params=order_no,
            )
        },
        "/v1/fills": {"get": _operation("Today's fills of the account", "list of FilledData", 429)},
        "/v1/stream": {
            "get": _operation("WebSocket: the account's order and fill events", "upgrade")
        },
        "/v1/marketdata": {
            "get": _operation(
                "WebSocket: send {event: subscribe, data: {channel: trades|books, symbol}}",
                "upgrade",
            )
        },
        "/v1/admin/orders": {
            "get": _operation("Every accepted order of every account (admin key)", "orders")
        },
        "/v1/admin/stats": {
            "get": _operation("Requests, rate-limit refusals, faults (admin key)", "stats")
        },
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
