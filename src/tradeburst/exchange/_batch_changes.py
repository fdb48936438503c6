"""Batch changes: `POST /v1/orders/batch-cancel`, `…/batch-modify-price` and
`…/batch-modify-quantity`, up to 30 changes of one account's orders in one request, as the
Fubon SDK's batch calls send them. A batch is one call against the batch limit (its
changes count as orders too where the profile says a batch's orders do), checked whole
before any change is made (a malformed change is a 400 and nothing changes), then each
change is made and answered on its own, in the order sent: the answer's `data` is one
envelope per change, as the single change's route answers it (`data` the `OrderResult`,
or `{"status": 19|29|39}` with the reason when refused; an unknown order is refused too).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tradeburst.exchange._accounts import Account
from tradeburst.exchange._api import error_response
from tradeburst.exchange._gateway import account_of
from tradeburst.exchange._market import Refusal
from tradeburst.exchange._profiles import LimitClass
from tradeburst.model import OrderError, OrderStatus, PriceType
from tradeburst.wire import (
    BatchCancelBody,
    BatchModifyPriceBody,
    BatchModifyQuantityBody,
    Envelope,
    OrderResult,
    price_of,
)

if TYPE_CHECKING:
    from tradeburst.exchange._app import ExchangeApp

__all__ = ["BATCH_CHANGES", "BatchChanges"]

BATCH_CHANGES = (
    ("cancel", "Cancel up to 30 orders in one call", BatchCancelBody),
    ("modify-price", "Reprice up to 30 limit orders in one call", BatchModifyPriceBody),
    ("modify-quantity", "Reduce up to 30 orders in one call", BatchModifyQuantityBody),
)
"""(action, summary, body) of each route, for the OpenAPI description."""

Act = Callable[[Account, str, Any], OrderResult]


class _Malformed(Exception):
    """A change that cannot be made as written: the whole batch is a 400."""


class BatchChanges:
    def __init__(self, api: ExchangeApp) -> None:
        self._api = api

    def register(self, app: web.Application) -> None:
        handlers = (self.cancel, self.modify_price, self.modify_quantity)
        for (action, _, _), handler in zip(BATCH_CHANGES, handlers, strict=True):
            app.router.add_post(f"/v1/orders/batch-{action}", handler)

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        market = self._api.market
        return await self._batch(
            request,
            BatchCancelBody,
            lambda body: [(no, None) for no in body.order_nos],
            OrderStatus.CANCEL_FAILED,
            lambda account, no, _: market.cancel(account, no),
        )

    async def modify_price(self, request: web.Request) -> web.StreamResponse:
        market = self._api.market

        def act(account: Account, no: str, change: tuple[Decimal | None, PriceType]) -> Any:
            price, price_type = change
            return market.modify_price(account, no, price=price, price_type=price_type)

        return await self._batch(
            request,
            BatchModifyPriceBody,
            lambda body: [(c.order_no, _price_change(c)) for c in body.changes],
            OrderStatus.MODIFY_PRICE_FAILED,
            act,
        )

    async def modify_quantity(self, request: web.Request) -> web.StreamResponse:
        market = self._api.market
        return await self._batch(
            request,
            BatchModifyQuantityBody,
            lambda body: [(c.order_no, c.quantity) for c in body.changes],
            OrderStatus.MODIFY_QUANTITY_FAILED,
            lambda account, no, quantity: market.modify_quantity(account, no, quantity),
        )

    async def _batch(
        self,
        request: web.Request,
        kind: type[Any],
        changes_of: Callable[[Any], list[tuple[str, Any]]],
        failed: OrderStatus,
        act: Act,
    ) -> web.StreamResponse:
        api = self._api
        raw = await api._receive(request)
        account = account_of(request)
        body = api._decode(request, raw, kind)
        try:
            changes = changes_of(body)
        except _Malformed as exc:
            return error_response(400, f"invalid body: {exc}")
        api._gate(account, LimitClass.BATCH, len(changes), request)
        fault = api._fault_before(request)
        answers = [self._one(account, no, change, failed, act) for no, change in changes]
        return await api._answer(request, fault, Envelope(is_success=True, data=answers))

    def _one(
        self, account: Account, order_no: str, change: Any, failed: OrderStatus, act: Act
    ) -> Envelope:
        unknown = f"order {order_no} not found in account {account.account}"
        if not self._api.market.owns(account, order_no):
            return Envelope(is_success=False, message=unknown, data={"status": failed})
        try:
            record = act(account, order_no, change)
        except Refusal as refusal:
            return Envelope(
                is_success=False, message=refusal.message, data={"status": refusal.status}
            )
        except KeyError:  # the day ended while the request waited
            return Envelope(is_success=False, message=unknown, data={"status": failed})
        return Envelope(is_success=True, data=record)


def _price_change(change: Any) -> tuple[Decimal | None, PriceType]:
    """The new price and price type of one change, as the single route checks them."""
    where = f"changes[order_no={change.order_no}]"
    if (change.price is None) == (change.price_type is None):
        raise _Malformed(f"{where}: give exactly one of price and price_type")
    if change.price_type is PriceType.LIMIT and change.price is None:
        raise _Malformed(f"{where}: price_type Limit needs a price")
    try:
        return price_of(change.price), change.price_type or PriceType.LIMIT
    except OrderError as exc:
        raise _Malformed(f"{where}: {exc}") from None
