"""The burst engine: validate, journal, plan, throttle, dispatch, reconcile."""

from tradeburst.engine._dispatch_terms import (
    DEFAULT_GRACE_S,
    DispatchOptions,
    DispatchStats,
    ManualPacing,
)
from tradeburst.engine._dispatcher import Dispatcher
from tradeburst.engine._fire import (
    FireOptions,
    FireResult,
    exit_code,
    fire,
    resume,
    rush,
)
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._journal import DispatchRecord, Journal, JournalError, RunRecord
from tradeburst.engine._orders_file import InputProblem, InvalidInput, OrderRow, read_orders
from tradeburst.engine._planner import Plan, PlanStep, plan
from tradeburst.engine._risk import DEFAULT_MAX_ORDERS, DEFAULT_PRICE_COLLAR_PCT, RiskLimits
from tradeburst.engine._rush import Receipts
from tradeburst.engine._throttle import DEFAULT_HEADROOM_S, Throttle

__all__ = [
    "DEFAULT_GRACE_S",
    "DEFAULT_HEADROOM_S",
    "DEFAULT_MAX_ORDERS",
    "DEFAULT_PRICE_COLLAR_PCT",
    "DispatchOptions",
    "DispatchRecord",
    "DispatchStats",
    "Dispatcher",
    "FireOptions",
    "FireResult",
    "InputProblem",
    "Intent",
    "IntentState",
    "InvalidInput",
    "Journal",
    "JournalError",
    "ManualPacing",
    "OrderRow",
    "Plan",
    "PlanStep",
    "Receipts",
    "RiskLimits",
    "RunRecord",
    "Throttle",
    "exit_code",
    "fire",
    "plan",
    "read_orders",
    "resume",
    "rush",
]
