"""The API's shapes, written once for both sides: the bodies of order actions, the order and
fill records, the envelope and the other answers, the admin answers, the frames of the two
WebSocket streams (exchange time travels as epoch nanoseconds; `tradeburst.clock` reads it
as Taipei time). msgspec structs only: the exchange (`tradeburst.exchange`) serves them and
generates its OpenAPI description from them, and clients (`tradeburst.brokers`,
`tradeburst.marketdata`) decode them, without importing the server.
"""

from tradeburst.wire._admin import AdminOrder, AdminOrders, AdminStats
from tradeburst.wire._answers import (
    Answer,
    BatchAnswer,
    BookLevel,
    BookSnapshot,
    CountedEnvelope,
    Envelope,
    LimitsAnswer,
    LimitWindow,
    OrderAnswer,
    Quote,
    SymbolInfo,
    TimeAnswer,
    decode_batch_answer,
    decode_order_answer,
    envelope_decoder,
)
from tradeburst.wire._batch_changes import (
    BatchCancelBody,
    BatchModifyPriceBody,
    BatchModifyQuantityBody,
    PriceChange,
    QuantityChange,
)
from tradeburst.wire._frames import (
    ChannelSnapshot,
    ChannelUpdate,
    ErrorFrame,
    FillEvent,
    Frame,
    OrderEvent,
    StreamStart,
    Subscription,
    SubscriptionFrame,
    TradeData,
    error_frame,
)
from tradeburst.wire._orders import (
    MAX_BATCH_ORDERS,
    BatchBody,
    ModifyPriceBody,
    ModifyQuantityBody,
    PlaceOrderBody,
    order_body,
    price_of,
)
from tradeburst.wire._positions import PositionData
from tradeburst.wire._records import FillBrief, FilledData, OrderBrief, OrderResult

__all__ = [
    "MAX_BATCH_ORDERS",
    "AdminOrder",
    "AdminOrders",
    "AdminStats",
    "Answer",
    "BatchAnswer",
    "BatchBody",
    "BatchCancelBody",
    "BatchModifyPriceBody",
    "BatchModifyQuantityBody",
    "BookLevel",
    "BookSnapshot",
    "ChannelSnapshot",
    "ChannelUpdate",
    "CountedEnvelope",
    "Envelope",
    "ErrorFrame",
    "FillBrief",
    "FillEvent",
    "FilledData",
    "Frame",
    "LimitWindow",
    "LimitsAnswer",
    "ModifyPriceBody",
    "ModifyQuantityBody",
    "OrderAnswer",
    "OrderBrief",
    "OrderEvent",
    "OrderResult",
    "PlaceOrderBody",
    "PositionData",
    "PriceChange",
    "QuantityChange",
    "Quote",
    "StreamStart",
    "Subscription",
    "SubscriptionFrame",
    "SymbolInfo",
    "TimeAnswer",
    "TradeData",
    "decode_batch_answer",
    "decode_order_answer",
    "envelope_decoder",
    "error_frame",
    "order_body",
    "price_of",
]
