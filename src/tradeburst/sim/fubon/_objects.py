"""The SDK's result objects, imitated: `Result` (the binary's `CustomReturnType`, printed
`Result { is_success: …, message: …, data: … }`), `Account`, `OrderResult` (its 30
attributes), `FilledData` (14), `SymbolQuote`, the `ModifyPrice` and `ModifyQuantity`
request objects and the accounting records. Each has exactly its Fubon attribute names, so
a script that reads a name the real object lacks fails here too; every field may be None,
as on the real objects. Prices are floats, as the binary gives them.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "Account",
    "CustomReturnType",
    "FilledData",
    "Inventory",
    "InventoryOdd",
    "ModifyPrice",
    "ModifyQuantity",
    "OrderResult",
    "SymbolQuote",
    "UnrealizedData",
    "result",
]


class _Record:
    """Fields by name, all present, None unless given; shown as `Name { a: 1, b: "x" }`."""

    __slots__ = ()
    fields: ClassVar[tuple[str, ...]] = ()
    shown_as: ClassVar[str] = ""

    def __init__(self, **values: Any) -> None:
        unknown = set(values) - set(self.fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        for name in self.fields:
            object.__setattr__(self, name, values.get(name))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}: {getattr(self, name)!r}" for name in self.fields)
        return f"{self.shown_as or type(self).__name__} {{ {shown} }}"

    def replaced(self, **changes: Any) -> Any:
        values = {name: getattr(self, name) for name in self.fields}
        values.update(changes)
        return type(self)(**values)


def _record(name: str, fields: str, shown_as: str = "", private: tuple[str, ...] = ()) -> type[Any]:
    """A record class with these fields (and `private` slots, hidden from its repr)."""
    names = tuple(fields.split())
    slots = names + private
    return type(name, (_Record,), {"__slots__": slots, "fields": names, "shown_as": shown_as})


CustomReturnType = _record("CustomReturnType", "is_success message data", shown_as="Result")
Account = _record("Account", "name account branch_no account_type")
OrderResult = _record(
    "OrderResult",
    "function_type date seq_no branch_no account order_no asset_type market market_type "
    "stock_no buy_sell price_type price quantity time_in_force order_type is_pre_order status "
    "after_price_type after_price unit after_qty filled_qty filled_money before_qty "
    "before_price user_def last_time details error_message",
)
OrderDetail = _record(
    "OrderDetail",
    "function_type modified_time before_qty after_qty before_price after_price filled_money "
    "status err_msg",
)
FilledData = _record(
    "FilledData",
    "date branch_no account seq_no order_no stock_no buy_sell order_type filled_no "
    "filled_avg_price filled_qty filled_price filled_time user_def",
)
SymbolQuote = _record(
    "SymbolQuote",
    "market symbol is_tib_or_psb market_type status reference_price unit update_time "
    "limitup_price limitdown_price open_price high_price low_price last_price total_volume "
    "total_transaction total_value last_size last_transaction last_value bid_price "
    "bid_volume ask_price ask_volume",
)
ModifyPrice = _record(
    "ModifyPrice",
    "new_price new_price_type price_type market_type order_no stock_no date txse asty",
    private=("source",),
)
ModifyQuantity = _record(
    "ModifyQuantity",
    "new_quantity market_type order_no stock_no date txse asty",
    private=("source",),
)
_INVENTORY_FIELDS = (
    "lastday_qty buy_qty buy_filled_qty buy_value today_qty tradable_qty sell_qty "
    "sell_filled_qty sell_value"
)
InventoryOdd = _record("InventoryOdd", _INVENTORY_FIELDS)
Inventory = _record(
    "Inventory", f"date account branch_no stock_no order_type {_INVENTORY_FIELDS} odd"
)
UnrealizedData = _record(
    "UnrealizedData",
    "date account branch_no stock_no buy_sell order_type cost_price tradable_qty today_qty "
    "unrealized_profit unrealized_loss",
)


def result(is_success: bool, message: str | None = None, data: Any = None) -> Any:
    """A `Result` as every SDK call returns it."""
    return CustomReturnType(is_success=is_success, message=message, data=data)
