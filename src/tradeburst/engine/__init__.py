"""The burst engine: validate, refuse a repeat of today's orders, journal, plan, throttle
(in this process, or shared on Redis), dispatch, reconcile, resume; and cancel-all."""

from tradeburst.engine._cancel_all import CancelAttempt, CancelReport, cancel_all
from tradeburst.engine._dispatch_terms import (
    DEFAULT_GRACE_S,
    DispatchOptions,
    DispatchStats,
    ManualPacing,
)
from tradeburst.engine._dispatcher import Dispatcher
from tradeburst.engine._fire import fire, rush
from tradeburst.engine._ids import MAX_ORDERS_PER_RUN, client_order_id, run_of
from tradeburst.engine._intents import Intent, IntentState
from tradeburst.engine._order_source import OrderSource
from tradeburst.engine._orders_file import (
    InputProblem,
    InvalidInput,
    OrderRow,
    read_orders,
)
from tradeburst.engine._outcome import order_counts
from tradeburst.engine._planner import Plan, PlanStep, plan
from tradeburst.engine._priority import FIFO_PRIORITY
from tradeburst.engine._redis_link import RedisLink
from tradeburst.engine._redis_throttle import RedisThrottle
from tradeburst.engine._release_rule import Release, default_release
from tradeburst.engine._resume import resume
from tradeburst.engine._risk import DEFAULT_MAX_ORDERS, DEFAULT_PRICE_COLLAR_PCT, RiskLimits
from tradeburst.engine._run_terms import FireOptions, FireResult, batch_within, exit_code
from tradeburst.engine._rush import Receipts
from tradeburst.engine._session import DEFAULT_JOURNAL_DIR, RunSession, new_run, run_record
from tradeburst.engine._shared_throttle import account_throttle, throttle_link
from tradeburst.engine._throttle import DEFAULT_HEADROOM_S, Charge, Slots, Throttle
from tradeburst.engine._throttle_api import AccountThrottle
from tradeburst.engine._throttle_url import (
    ThrottleError,
    ThrottleLost,
    ThrottleUnreachable,
    ThrottleUrl,
    throttle_url,
)
from tradeburst.engine._validation import check_orders, priced_at
from tradeburst.engine.journal import (
    DispatchRecord,
    JournalError,
    JournalLocation,
    JournalStore,
    RunRecord,
    RunSnapshot,
    journal_location,
    open_journal,
    read_run,
)

__all__ = [
    "DEFAULT_GRACE_S",
    "DEFAULT_HEADROOM_S",
    "DEFAULT_JOURNAL_DIR",
    "DEFAULT_MAX_ORDERS",
    "DEFAULT_PRICE_COLLAR_PCT",
    "FIFO_PRIORITY",
    "MAX_ORDERS_PER_RUN",
    "AccountThrottle",
    "CancelAttempt",
    "CancelReport",
    "Charge",
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
    "JournalError",
    "JournalLocation",
    "JournalStore",
    "ManualPacing",
    "OrderRow",
    "OrderSource",
    "Plan",
    "PlanStep",
    "Receipts",
    "RedisLink",
    "RedisThrottle",
    "Release",
    "RiskLimits",
    "RunRecord",
    "RunSession",
    "RunSnapshot",
    "Slots",
    "Throttle",
    "ThrottleError",
    "ThrottleLost",
    "ThrottleUnreachable",
    "ThrottleUrl",
    "account_throttle",
    "batch_within",
    "cancel_all",
    "check_orders",
    "client_order_id",
    "default_release",
    "exit_code",
    "fire",
    "journal_location",
    "new_run",
    "open_journal",
    "order_counts",
    "plan",
    "priced_at",
    "read_orders",
    "read_run",
    "resume",
    "run_of",
    "run_record",
    "rush",
    "throttle_link",
    "throttle_url",
]
