"""The bodies of batch changes: up to 30 cancels, price changes or quantity changes of one
account's orders in one request, as the Fubon SDK's `batch_cancel_order`,
`batch_modify_price` and `batch_modify_quantity` send them. Each change names its order;
a price change gives exactly one of `price` and `price_type`, as `ModifyPriceBody` does."""

from __future__ import annotations

from typing import Annotated

import msgspec

from tradeburst.wire._orders import MAX_BATCH_ORDERS, ModifyPriceBody, ModifyQuantityBody

__all__ = [
    "BatchCancelBody",
    "BatchModifyPriceBody",
    "BatchModifyQuantityBody",
    "PriceChange",
    "QuantityChange",
]

OrderNo = Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9]{1,12}$")]


class PriceChange(ModifyPriceBody, kw_only=True, forbid_unknown_fields=True):
    order_no: OrderNo


class QuantityChange(ModifyQuantityBody, kw_only=True, forbid_unknown_fields=True):
    order_no: OrderNo


class BatchCancelBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    order_nos: Annotated[list[OrderNo], msgspec.Meta(min_length=1, max_length=MAX_BATCH_ORDERS)]


class BatchModifyPriceBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    changes: Annotated[list[PriceChange], msgspec.Meta(min_length=1, max_length=MAX_BATCH_ORDERS)]


class BatchModifyQuantityBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    changes: Annotated[
        list[QuantityChange], msgspec.Meta(min_length=1, max_length=MAX_BATCH_ORDERS)
    ]
