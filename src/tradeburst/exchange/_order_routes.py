"""The order actions' routes: place one order, place a batch of up to 30, cancel,
reprice and reduce one order. Each reads and checks its body, counts against its rate
limit, draws its fault and asks the `Market` (`_request_steps.py` says in which order);
a malformed order is a 400 naming the bad field (and its index in a batch), and nothing
of a batch is placed if one of its orders is malformed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from tradeburst.exchange._accounts import Account
from tradeburst.exchange._api import Answered, error_response, fubon_user_def
from tradeburst.exchange._gateway import account_of, received_ns_of
from tradeburst.exchange._market import Refusal
from tradeburst.exchange._profiles import LimitClass
from tradeburst.exchange._request_steps import RequestSteps
from tradeburst.model import Order, OrderError, OrderStatus, PriceType
from tradeburst.wire import (
    BatchBody,
    CountedEnvelope,
    Envelope,
    ModifyPriceBody,
    ModifyQuantityBody,
    OrderResult,
    PlaceOrderBody,
    price_of,
)

__all__ = ["OrderRoutes"]

_FAILED = OrderStatus.FAILED  # an enum member read per order: a global is cheaper


def _not_found(account: Account, order_no: str) -> web.Response:
    return error_response(404, f"order {order_no} not found in account {account.account}")


class OrderRoutes(RequestSteps):
    async def place(self, request: web.Request) -> web.StreamResponse:
        raw = await self._receive(request)
        account = account_of(request)
        self._gate(account, LimitClass.ORDER, request=request)
        body = self._decode(request, raw, PlaceOrderBody)
        order, warning = self._to_order(body)
        fault = self._fault_before(request)
        record = self.market.place(account, order, received_ns_of(request))
        # Counted from the start: the answer fills in its stamp rather than copying it.
        if record.status is _FAILED:
            envelope = CountedEnvelope(is_success=False, message=record.error_message, data=record)
        else:
            envelope = CountedEnvelope(is_success=True, message=warning, data=record)
        return await self._answer(request, fault, envelope)

    async def place_batch(self, request: web.Request) -> web.StreamResponse:
        raw = await self._receive(request)
        account = account_of(request)
        body = self._decode(request, raw, BatchBody)
        self._gate(account, LimitClass.BATCH, len(body.orders), request)
        checked = self.check_batch(body)
        fault = self._fault_before(request)
        envelope = self.place_checked(account, checked, received_ns_of(request))
        return await self._answer(request, fault, envelope)

    def check_batch(self, body: BatchBody) -> list[tuple[Order, str | None]]:
        """Every order of a decoded batch as a model order with its warning; the first
        bad one answers 400 naming its index, and nothing is placed."""
        return [self._to_order(item, i) for i, item in enumerate(body.orders)]

    def place_checked(
        self, account: Account, checked: list[tuple[Order, str | None]], received_ns: int
    ) -> Envelope:
        """Place a checked batch, in order and under one phase, and the envelope that
        answers it."""
        records = self.market.place_batch(account, [order for order, _ in checked], received_ns)
        warnings = [f"orders[{i}]: {w}" for i, (_, w) in enumerate(checked) if w]
        return CountedEnvelope(is_success=True, message="; ".join(warnings) or None, data=records)

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        return await self._change(
            request, None, lambda account, no, _: self.market.cancel(account, no)
        )

    async def modify_price(self, request: web.Request) -> web.StreamResponse:
        def act(account: Account, order_no: str, body: ModifyPriceBody) -> OrderResult:
            if (body.price is None) == (body.price_type is None):
                raise Answered(error_response(400, "give exactly one of price and price_type"))
            if body.price_type is PriceType.LIMIT and body.price is None:
                raise Answered(error_response(400, "price_type Limit needs a price"))
            try:
                price = price_of(body.price)
            except OrderError as exc:
                raise Answered(error_response(400, f"invalid body: {exc}")) from None
            return self.market.modify_price(
                account, order_no, price=price, price_type=body.price_type or PriceType.LIMIT
            )

        return await self._change(request, ModifyPriceBody, act)

    async def modify_quantity(self, request: web.Request) -> web.StreamResponse:
        return await self._change(
            request,
            ModifyQuantityBody,
            lambda account, no, body: self.market.modify_quantity(account, no, body.quantity),
        )

    async def _change(
        self,
        request: web.Request,
        kind: type[Any] | None,
        act: Callable[[Account, str, Any], OrderResult],
    ) -> web.StreamResponse:
        raw = await self._receive(request)
        account = account_of(request)
        self._gate(account, LimitClass.ORDER, request=request)
        body = self._decode(request, raw, kind) if kind is not None else None
        order_no = request.match_info["order_no"]
        if not self.market.owns(account, order_no):
            return _not_found(account, order_no)
        fault = self._fault_before(request)
        try:
            record = act(account, order_no, body)
        except Refusal as refusal:
            envelope = Envelope(
                is_success=False, message=refusal.message, data={"status": refusal.status}
            )
        except KeyError:
            return _not_found(account, order_no)  # the day ended while the request waited
        else:
            envelope = Envelope(is_success=True, data=record)
        return await self._answer(request, fault, envelope)

    @staticmethod
    def _to_order(body: PlaceOrderBody, index: int | None = None) -> tuple[Order, str | None]:
        """The model order and the SDK's user_def warning, if any; `index`: its place in
        a batch, named in the refusal."""
        user_def, warning = fubon_user_def(body.user_def)
        try:
            return body.to_order(user_def), warning
        except OrderError as exc:
            prefix = f"orders[{index}]: " if index is not None else ""
            raise Answered(error_response(400, f"invalid order: {prefix}{exc}")) from None
