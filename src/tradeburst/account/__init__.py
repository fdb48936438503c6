"""The account at a glance: positions, working orders, today's fills with their fee and
tax, and the day's realised and unrealised profit in exact TWD, from any broker that can
describe its account (`tradeburst.brokers.AccountBook`)."""

from tradeburst.account._figures import snapshot_figures, working_figures
from tradeburst.account._snapshot import (
    AccountSnapshot,
    FillLine,
    Pnl,
    PositionLine,
    account_snapshot,
    take,
)

__all__ = [
    "AccountSnapshot",
    "FillLine",
    "Pnl",
    "PositionLine",
    "account_snapshot",
    "snapshot_figures",
    "take",
    "working_figures",
]
