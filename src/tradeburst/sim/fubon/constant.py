"""`fubon_neo.constant`, imitated: the enums a script passes in an `Order` and reads back
in a result. They behave as the 2.3.1 binary's PyO3 enums do where a script can tell:
members are instances of their class, `str()` and `repr()` are `BSAction.Buy`, a member
equals its integer code (`BSAction.Buy == 0`, and `BSAction.Sell == True`) and nothing
else (not `0.0`, a string or another enum), `int()` gives the code, members are unhashable
and unordered, and the class cannot be called (`BSAction(1)` raises
`TypeError: No constructor defined`).

These are not the real classes, even where the `fubon_neo` wheel is installed: the
compatible SDK must behave the same on a machine without the wheel, and `install()` puts
this package under the name `fubon_neo`, the only name the binary's classes can be loaded
by. The tests hold these against the real ones, side by side. The SDK also accepts the
real members (and a real `Order`), read by their `str()` and `repr()`.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BSAction",
    "Market",
    "MarketType",
    "OrderType",
    "PriceType",
    "StockType",
    "TimeInForce",
    "member_name",
]


class _FubonEnum:
    """One member of a Fubon enum: a name and an integer code."""

    __slots__ = ("_code", "_name")
    _code: int
    _name: str
    __hash__ = None  # type: ignore[assignment]  # the real members are unhashable
    _members: ClassVar[dict[str, _FubonEnum]]

    def __new__(cls, *args: Any, **kwargs: Any) -> _FubonEnum:
        raise TypeError("No constructor defined")

    @classmethod
    def _define(cls, names: tuple[str, ...]) -> None:
        cls._members = {}
        for code, name in enumerate(names):
            member = object.__new__(cls)
            object.__setattr__(member, "_code", code)
            object.__setattr__(member, "_name", name)
            cls._members[name] = member
            type.__setattr__(cls, name, member)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"'{type(self).__name__}' object attribute '{name}' is read-only")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _FubonEnum):
            return type(other) is type(self) and other._code == self._code
        if isinstance(other, int):  # bools too, as PyO3 reads them; never a float
            return other == self._code
        return False

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __int__(self) -> int:
        return self._code

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self._name}"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError(f"cannot pickle '{type(self).__name__}' object")


class BSAction(_FubonEnum):
    __slots__ = ()
    Buy: ClassVar[BSAction]
    Sell: ClassVar[BSAction]
    UnSupported: ClassVar[BSAction]
    UnDefined: ClassVar[BSAction]


class MarketType(_FubonEnum):
    __slots__ = ()
    Common: ClassVar[MarketType]
    Fixing: ClassVar[MarketType]
    Odd: ClassVar[MarketType]
    IntradayOdd: ClassVar[MarketType]
    Emg: ClassVar[MarketType]
    EmgOdd: ClassVar[MarketType]
    UnSupported: ClassVar[MarketType]
    UnDefined: ClassVar[MarketType]


class PriceType(_FubonEnum):
    __slots__ = ()
    Limit: ClassVar[PriceType]
    Market: ClassVar[PriceType]
    LimitUp: ClassVar[PriceType]
    LimitDown: ClassVar[PriceType]
    Reference: ClassVar[PriceType]
    UnSupported: ClassVar[PriceType]
    UnDefined: ClassVar[PriceType]


class TimeInForce(_FubonEnum):
    __slots__ = ()
    ROD: ClassVar[TimeInForce]
    FOK: ClassVar[TimeInForce]
    IOC: ClassVar[TimeInForce]
    UnSupported: ClassVar[TimeInForce]
    UnDefined: ClassVar[TimeInForce]


class OrderType(_FubonEnum):
    __slots__ = ()
    Stock: ClassVar[OrderType]
    Margin: ClassVar[OrderType]
    Short: ClassVar[OrderType]
    SBL: ClassVar[OrderType]
    DayTrade: ClassVar[OrderType]
    UnSupported: ClassVar[OrderType]
    UnDefined: ClassVar[OrderType]


class StockType(_FubonEnum):
    __slots__ = ()
    Stock: ClassVar[StockType]
    CovertBond: ClassVar[StockType]
    EtfAndEtn: ClassVar[StockType]


class Market(_FubonEnum):
    __slots__ = ()
    Taiex: ClassVar[Market]
    Taisdaq: ClassVar[Market]
    Taiemg: ClassVar[Market]
    Unsupported: ClassVar[Market]


BSAction._define(("Buy", "Sell", "UnSupported", "UnDefined"))
MarketType._define(
    ("Common", "Fixing", "Odd", "IntradayOdd", "Emg", "EmgOdd", "UnSupported", "UnDefined")
)
PriceType._define(
    ("Limit", "Market", "LimitUp", "LimitDown", "Reference", "UnSupported", "UnDefined")
)
TimeInForce._define(("ROD", "FOK", "IOC", "UnSupported", "UnDefined"))
OrderType._define(("Stock", "Margin", "Short", "SBL", "DayTrade", "UnSupported", "UnDefined"))
StockType._define(("Stock", "CovertBond", "EtfAndEtn"))
Market._define(("Taiex", "Taisdaq", "Taiemg", "Unsupported"))


def member_name(value: object, kind: type[_FubonEnum]) -> str | None:
    """The member name of `value` if it is a member of `kind`, ours or the real binary's
    (whose `str()` reads the same), else None."""
    if isinstance(value, kind):
        return value._name
    text = str(value) if type(value).__name__ == kind.__name__ else ""
    prefix, _, name = text.partition(".")
    return name if prefix == kind.__name__ and name in kind._members else None
