"""What the dispatcher's parts share, handed to each in one piece: the broker and the
throttle the dispatch sends through, its terms, counters and journal, its intents
(`_intent_ledger`), its stop (`_dispatch_stop`), and the poke that wakes its loop. The
request sender, the unknowns' query and a rush's opening each take these, so none of them
holds a copy of what another holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tradeburst.brokers import Broker
from tradeburst.engine._dispatch_stop import DispatchStop
from tradeburst.engine._dispatch_terms import DispatchOptions, DispatchStats
from tradeburst.engine._intent_ledger import IntentLedger
from tradeburst.engine._throttle_api import AccountThrottle
from tradeburst.engine.journal import JournalStore

__all__ = ["DispatchParts"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchParts:
    broker: Broker
    throttle: AccountThrottle
    options: DispatchOptions
    stats: DispatchStats
    journal: JournalStore
    ledger: IntentLedger
    stop: DispatchStop
    poke: Callable[[], None]
    """Tell the loop to look again: something changed (an answer, a stop)."""
