"""Strategies: the `Strategy` API, the weighted fair share of one account's throttle, the
runner behind `tradeburst run`, and TWAP slicing of large parents."""

from tradeburst.strategies._clock import ExchangeTime, seconds_of_day
from tradeburst.strategies._config import KINDS, RunConfig, StrategySpec, read_config
from tradeburst.strategies._fair import DEFAULT_CANCEL_RESERVE, FairShare, Lane, LaneStats
from tradeburst.strategies._runner import (
    FeedFactory,
    RunResult,
    Slot,
    StrategyRunner,
    run_strategies,
)
from tradeburst.strategies._stalls import STALL_S, LoopWatch, stall_lines
from tradeburst.strategies._strategy import OrderRefused, OrderUpdate, Strategy
from tradeburst.strategies._twap import (
    BASES,
    PricePolicy,
    Slice,
    TwapError,
    TwapParent,
    TwapStep,
    allowed_lots,
    execute,
    schedule_from,
    twap_schedule,
)

__all__ = [
    "BASES",
    "DEFAULT_CANCEL_RESERVE",
    "KINDS",
    "STALL_S",
    "ExchangeTime",
    "FairShare",
    "FeedFactory",
    "Lane",
    "LaneStats",
    "LoopWatch",
    "OrderRefused",
    "OrderUpdate",
    "PricePolicy",
    "RunConfig",
    "RunResult",
    "Slice",
    "Slot",
    "Strategy",
    "StrategyRunner",
    "StrategySpec",
    "TwapError",
    "TwapParent",
    "TwapStep",
    "allowed_lots",
    "execute",
    "read_config",
    "run_strategies",
    "schedule_from",
    "seconds_of_day",
    "stall_lines",
    "twap_schedule",
]
