"""`sdk.stock` of the stand-in SDK (`_fubon_standin`): the order calls and queries with SDK
2.3.1's names and parameters, each sent over HTTP to the rehearsal exchange and answered
with the SDK's objects, its callbacks emitted in the sequences of Fubon's examples (blocking
new order 10 or 90; unblock and batch 4 → 8 → 10/90, a batch's outcomes out of order;
changes 4 → final, or only the failure for a refused change). Every call goes through the
SDK object's `run`, where its GIL behaviour and its faults apply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fubon_neo.constant import MarketType, StockType

from _fubon_standin_objects import (
    BATCH_TOO_LONG,
    RECORD_FIELDS,
    Obj,
    error_code,
    order_body,
    order_fields,
    outcome,
    result,
    sdk_fill,
    sdk_record,
)

if TYPE_CHECKING:
    from _fubon_standin import StandinSDK


class Stock:
    """`sdk.stock`: the order methods, with 2.3.1's parameter names."""

    def __init__(self, sdk: StandinSDK) -> None:
        self._sdk = sdk

    def place_order(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run("place_order", False, lambda: self._place_order(*args, **kwargs))

    def _place_order(self, account: Any, py_order: Any, unblock: bool | None = None) -> Obj:
        sdk = self._sdk
        fields = order_fields(py_order)
        status, answer = sdk.http("POST", "/v1/orders", order_body(fields))
        if status != 200 and answer.get("data") is None:
            return result(False, answer.get("message"))
        record = answer["data"]
        failed = record["status"] == 90
        code = error_code(record) if failed else None
        if unblock:
            ack = sdk_record(record, function_type=0, status=4, order_no=None, is_pre_order=True)
            sdk.emit("on_order", None, ack)
            sdk.emit("on_order", None, sdk_record(record, function_type=10, status=8,
                                                 order_no=None))  # fmt: skip
            sdk.emit("on_order", code, outcome(record))
            return result(True, None, ack)
        sdk.emit("on_order", code, outcome(record))
        if failed:
            return result(False, record.get("error_message"))
        return result(True, None, sdk_record(record, function_type=0))

    def batch_place_order(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run(
            "batch_place_order", False, lambda: self._batch_place_order(*args, **kwargs)
        )

    def _batch_place_order(self, account: Any, orders: list[Any]) -> Obj:
        sdk = self._sdk
        if len(orders) > 30:
            return result(False, BATCH_TOO_LONG)
        body = {"orders": [order_body(order_fields(order)) for order in orders]}
        status, answer = sdk.http("POST", "/v1/orders/batch", body)
        if status != 200:
            return result(False, answer.get("message"))
        records = answer["data"]
        acks = [sdk_record(r, function_type=0, status=4, order_no=None) for r in records]
        for record in records:
            sdk.emit("on_order", None, sdk_record(record, function_type=0, status=8,
                                                 order_no=None))  # fmt: skip
        shuffled = list(records)
        sdk.rng.shuffle(shuffled)  # "processed by the system in multiple threads"
        for record in shuffled:
            sdk.emit("on_order", error_code(record) if record["status"] == 90 else None,
                     outcome(record))  # fmt: skip
        return result(True, None, acks)

    def make_modify_price_obj(
        self, order: Any, price: str | None = None, price_type: Any = None
    ) -> Obj:
        assert price is None or isinstance(price, str), "2.3.1 takes the price as a string"
        return Obj("ModifyPrice", order_result=order, price=price, price_type=price_type)

    def make_modify_quantity_obj(self, order: Any, quantity: int) -> Obj:
        return Obj("ModifyQuantity", order_result=order, quantity=int(quantity))

    def cancel_order(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run("cancel_order", False, lambda: self._cancel_order(*args, **kwargs))

    def _cancel_order(self, account: Any, order_res: Any, unblock: bool | None = None) -> Obj:
        return self._change(order_res, "cancel", {}, 30)

    def modify_price(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run("modify_price", False, lambda: self._modify_price(*args, **kwargs))

    def _modify_price(self, account: Any, order_res: Any, unblock: bool | None = None) -> Obj:
        body = (
            {"price": order_res.price}
            if order_res.price is not None
            else {"price_type": str(order_res.price_type).rpartition(".")[2]}
        )
        return self._change(order_res.order_result, "modify-price", body, 15)

    def modify_quantity(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run(
            "modify_quantity", False, lambda: self._modify_quantity(*args, **kwargs)
        )

    def _modify_quantity(self, account: Any, order_res: Any, unblock: bool | None = None) -> Obj:
        body = {"quantity": order_res.quantity}
        return self._change(order_res.order_result, "modify-quantity", body, 20)

    def _change(self, order: Any, action: str, body: dict[str, Any], function_type: int) -> Obj:
        sdk = self._sdk
        status, answer = sdk.http("POST", f"/v1/orders/{order.order_no}/{action}", body)
        if status != 200:
            return result(False, answer.get("message"))
        if not answer["is_success"]:  # a system refusal: only the failure, no status 4
            message = answer.get("message")
            failure = Obj("OrderResult", **{name: None for name in RECORD_FIELDS})
            failure.__dict__.update(
                function_type=function_type,
                status=answer["data"]["status"],
                order_no=order.order_no,
                seq_no=order.seq_no,
                market_type=MarketType.UnSupported,
                error_message=message,
            )
            sdk.emit("on_order_changed", message, failure)
            return result(False, message)
        record = answer["data"]
        sdk.emit("on_order_changed", None, sdk_record(record, function_type=function_type,
                                                      status=4))  # fmt: skip
        final = sdk_record(record, function_type=function_type)
        sdk.emit("on_order_changed", None, final)
        return result(True, None, final)

    def get_order_results(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run(
            "get_order_results", True, lambda: self._get_order_results(*args, **kwargs)
        )

    def _get_order_results(self, account: Any) -> Obj:
        status, answer = self._sdk.http("GET", "/v1/orders")
        if status != 200:
            return result(False, answer.get("message"))
        return result(True, None, [self._sdk.as_queried(r) for r in answer["data"]])

    def filled_history(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run("filled_history", True, lambda: self._filled_history(*args, **kwargs))

    def _filled_history(
        self, account: Any, start_date: str | None = None, end_date: str | None = None
    ) -> Obj:
        status, answer = self._sdk.http("GET", "/v1/fills")
        if status != 200:
            return result(False, answer.get("message"))
        return result(True, None, [sdk_fill(f, callback=False) for f in answer["data"]])

    def query_symbol_snapshot(self, *args: Any, **kwargs: Any) -> Obj:
        return self._sdk.run(
            "query_symbol_snapshot", True, lambda: self._query_symbol_snapshot(*args, **kwargs)
        )

    def _query_symbol_snapshot(
        self, account: Any, market_type: Any = None, stock_types: Any = None
    ) -> Obj:
        status, answer = self._sdk.http("GET", "/v1/symbols")
        if status != 200:
            return result(False, answer.get("message"))
        wanted = stock_types or [StockType.Stock]
        kinds = {"stock" if kind == StockType.Stock else "etf" for kind in wanted}
        quotes = [
            Obj(
                "SymbolQuote",
                symbol=s["symbol"],
                market_type=MarketType.Common,
                reference_price=float(s["reference_price"]),
                limitup_price=float(s["limitup_price"]),
                limitdown_price=float(s["limitdown_price"]),
            )
            for s in answer["data"]
            if s["kind"] in kinds
        ]
        return result(True, None, Obj("SymbolSnapshotResponse", symbols=quotes))
