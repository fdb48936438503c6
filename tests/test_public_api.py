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
        "CancelReport",
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
        "Position",
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
        "WorkingOrder",
        "cancel_all",
        "fire",
        "price_band",
        "resume",
        "rush",
    ]
    assert all(hasattr(tradeburst, name) for name in tradeburst.__all__)


def test_the_version_is_the_installed_distributions() -> None:
    """`tradeburst.__version__` is the version pip installed, as `importlib.metadata` says."""
    from importlib.metadata import version

    assert tradeburst.__version__ == version("tradeburst")
