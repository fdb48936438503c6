"""The public façade is pinned: adding or removing a name is a deliberate change."""

import tradeburst


def test_the_public_names_are_pinned() -> None:
    """`tradeburst.__all__` lists exactly these names, sorted, and each one exists."""
    assert tradeburst.__all__ == [
        "ETF_TICKS",
        "PROFILES",
        "STOCK_TICKS",
        "AnswerLost",
        "Broker",
        "BrokerError",
        "BrokerFatal",
        "Exchange",
        "ExchangeConfig",
        "ExchangeError",
        "Fill",
        "FireOptions",
        "FireResult",
        "FunctionType",
        "InvalidInput",
        "LatencyThresholds",
        "LimitProfile",
        "ManualPacing",
        "MarketType",
        "NotSent",
        "Order",
        "OrderError",
        "OrderState",
        "OrderStatus",
        "OrderType",
        "PriceBand",
        "PriceType",
        "RateLimited",
        "RiskLimits",
        "Side",
        "SimBroker",
        "Strategy",
        "Summary",
        "TickLadder",
        "TimeInForce",
        "TradeburstError",
        "fire",
        "price_band",
        "resume",
    ]
    assert all(hasattr(tradeburst, name) for name in tradeburst.__all__)
