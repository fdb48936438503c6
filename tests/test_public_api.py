"""The public façade is pinned: adding or removing a name is a deliberate change."""

import tradeburst


def test_the_public_names_are_pinned() -> None:
    """`tradeburst.__all__` lists exactly these names, sorted, and each one exists."""
    assert tradeburst.__all__ == [
        "ETF_TICKS",
        "STOCK_TICKS",
        "Exchange",
        "ExchangeConfig",
        "ExchangeError",
        "Fill",
        "FunctionType",
        "LatencyThresholds",
        "MarketType",
        "Order",
        "OrderError",
        "OrderStatus",
        "OrderType",
        "PriceBand",
        "PriceType",
        "Side",
        "Summary",
        "TickLadder",
        "TimeInForce",
        "price_band",
    ]
    assert all(hasattr(tradeburst, name) for name in tradeburst.__all__)
