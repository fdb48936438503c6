"""An order's record as the API carries it: Fubon's `OrderResult` and `FilledData` fields,
as msgspec structs that are at once the exchange's stored state and the JSON on the wire,
and `OrderBrief` and `FillBrief`, the parts of an `OrderResult` and a `FilledData` a client
follows its orders by.

Prices are `Decimal` (JSON strings), quantities shares, money whole TWD. `received_ns` is
the exchange's receive stamp (exchange clock, ns since the epoch: when the request's first
byte reached its socket, plus the modelled inbound trip); Fubon has no such
field, the admin API and the rush report need it. `queue_seq` (also ours) numbers the
order's entries into its book; a reprice enters it again, so a restart can rebuild the
queues in their true time priority.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeburst.model import (
    FunctionType,
    MarketType,
    OrderStatus,
    OrderType,
    PriceType,
    Side,
    TimeInForce,
)

__all__ = ["FillBrief", "FilledData", "OrderBrief", "OrderResult"]


class OrderResult(msgspec.Struct, kw_only=True):
    function_type: FunctionType | None
    date: str
    seq_no: str
    branch_no: str
    account: str
    order_no: str | None
    asset_type: int = 0
    market: str = "TAIEX"
    market_type: MarketType
    stock_no: str
    buy_sell: Side
    price_type: PriceType
    price: Decimal | None
    quantity: int
    time_in_force: TimeInForce
    order_type: OrderType
    is_pre_order: bool = False
    status: OrderStatus
    after_price_type: PriceType
    after_price: Decimal | None
    unit: int = 1000
    after_qty: int
    filled_qty: int = 0
    filled_money: int = 0
    before_qty: int | None = None
    before_price: Decimal | None = None
    user_def: str | None = None
    last_time: str
    error_message: str | None = None
    received_ns: int = 0
    queue_seq: int = 0

    @property
    def open_qty(self) -> int:
        """Shares still working: effective quantity less what has filled."""
        if self.status.is_final:
            return 0
        return self.after_qty - self.filled_qty


class FilledData(msgspec.Struct, kw_only=True):
    date: str
    branch_no: str
    account: str
    seq_no: str
    order_no: str
    stock_no: str
    buy_sell: Side
    order_type: OrderType
    filled_no: str
    filled_avg_price: Decimal
    filled_qty: int
    filled_price: Decimal
    filled_time: str
    user_def: str | None = None
    filled_ns: int = 0


class OrderBrief(msgspec.Struct, kw_only=True):
    """The fields of an `OrderResult` a client reads to follow its order, each named and
    typed as there (a test pins that). Decoding an answer into it skips the other fields in
    the same pass, which keeps a burst's answers cheap to read; `status` stays a bare
    number so that a code the client does not know is its to judge, not the decoder's."""

    user_def: str | None = None
    order_no: str | None = None
    status: int
    stock_no: str = ""
    after_qty: int = 0
    filled_qty: int = 0
    error_message: str | None = None
    last_time: str | None = None


class FillBrief(msgspec.Struct, kw_only=True, gc=False):
    """The fields of a `FilledData` a client keeps of a fill, named and typed as there but
    for the price (a test pins that): the day's fills, read whole at the end of a run, skip
    the rest in the same pass. Not tracked by the cyclic collector: it holds no container."""

    order_no: str
    stock_no: str
    buy_sell: Side
    filled_no: str
    filled_qty: int
    filled_price: str
    """The price's text as the answer writes it (a `Decimal` goes on the wire as its text):
    the client makes one `Decimal` of each distinct price. A `Decimal` a fill would weigh
    104 bytes against the text's 56, while the whole day's fills and the answer they came
    in are held at once, the peak of a large run."""
    user_def: str | None = None
    filled_ns: int = 0
