"""`fubon_neo.sdk.Order`, imitated: the 2.3.1 constructor's signature
`Order(buy_sell, symbol, quantity, market_type, price_type, time_in_force, order_type,
price=None, user_def=None)`, its type checks with the binary's messages (a price must be a
`str` or None, a quantity an `int`, each enum argument a member of its enum), no readable
attributes, and its multi-line `repr`. What it holds is read back by the SDK with
`order_fields` only; like the binary, the constructor checks types, not values (a
quantity of -5 is an `Order`; the SDK refuses it when it is sent).
"""

from __future__ import annotations

from typing import Any

from tradeburst.sim.fubon.constant import (
    BSAction,
    MarketType,
    OrderType,
    PriceType,
    TimeInForce,
    _FubonEnum,
)

__all__ = ["Order", "order_fields"]

_PARAMETERS: tuple[tuple[str, type[Any] | None], ...] = (
    ("buy_sell", BSAction),
    ("symbol", str),
    ("quantity", int),
    ("market_type", MarketType),
    ("price_type", PriceType),
    ("time_in_force", TimeInForce),
    ("order_type", OrderType),
    ("price", str),
    ("user_def", str),
)
_REQUIRED = 7
_SHOWN = (
    "buy_sell",
    "symbol",
    "price",
    "quantity",
    "market_type",
    "price_type",
    "time_in_force",
    "order_type",
    "user_def",
)


def _bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments by name, refused with the messages PyO3 gives the real one."""
    names = [name for name, _ in _PARAMETERS]
    if len(args) > len(names):
        raise TypeError(
            f"Order.__new__() takes from {_REQUIRED} to {len(names)} positional arguments "
            f"but {len(args)} were given"
        )
    bound = dict(zip(names, args, strict=False))
    for name, value in kwargs.items():
        if name not in names:
            raise TypeError(f"Order.__new__() got an unexpected keyword argument '{name}'")
        if name in bound:
            raise TypeError(f"Order.__new__() got multiple values for argument '{name}'")
        bound[name] = value
    missing = [f"'{name}'" for name in names[:_REQUIRED] if name not in bound]
    if missing:
        listed = (
            missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + f", and {missing[-1]}"
        )
        plural = "argument" if len(missing) == 1 else "arguments"
        raise TypeError(
            f"Order.__new__() missing {len(missing)} required positional {plural}: {listed}"
        )
    return bound


def _checked(name: str, kind: type[Any] | None, value: Any) -> Any:
    if value is None and name in ("price", "user_def"):
        return None
    given = type(value).__name__
    if kind is int:
        if not isinstance(value, int):
            raise TypeError(
                f"argument '{name}': '{given}' object cannot be interpreted as an integer"
            )
        return int(value)
    if kind is str:
        if not isinstance(value, str):
            raise TypeError(
                f"argument '{name}': '{given}' object cannot be converted to 'PyString'"
            )
        return value
    assert kind is not None and issubclass(kind, _FubonEnum)
    if not isinstance(value, kind):
        raise TypeError(
            f"argument '{name}': '{given}' object cannot be converted to '{kind.__name__}'"
        )
    return value


class Order:
    """A stock order, as `fubon_neo.sdk.Order` takes it."""

    __slots__ = ("_fields",)
    _fields: dict[str, Any]

    def __new__(cls, *args: Any, **kwargs: Any) -> Order:
        bound = _bind(args, kwargs)
        fields = {name: _checked(name, kind, bound.get(name)) for name, kind in _PARAMETERS}
        order = object.__new__(cls)
        object.__setattr__(order, "_fields", fields)
        return order

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"'Order' object has no attribute '{name}'")

    def __repr__(self) -> str:
        lines = [f"    {name}: {_shown(self._fields[name])}," for name in _SHOWN]
        return "Order {\n" + "\n".join(lines) + "\n}"


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, _FubonEnum):
        return str(value).partition(".")[2]
    return str(value)


def order_fields(order: Order) -> dict[str, Any]:
    """What `order` holds, by parameter name."""
    return dict(order._fields)
