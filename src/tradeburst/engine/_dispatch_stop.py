"""Whether a dispatch still sends, and if not, why. Sending stops at a stop (Ctrl-C), when
the broker refuses us as such (`BrokerFatal`: its latest refusal is the reason), when the
shared throttle is lost (`ThrottleLost`: a reason already given stays), or when the journal
cannot be written (an order the journal does not keep is a promise broken). Whatever the
reason, what is in flight is still answered and settled, and nothing more goes.
"""

from __future__ import annotations

import logging

from tradeburst.brokers import BrokerFatal
from tradeburst.engine._throttle_url import ThrottleLost
from tradeburst.engine.journal import JournalError

__all__ = ["DispatchStop"]

log = logging.getLogger(__name__)


class DispatchStop:
    """One dispatch's stop: set once, by whichever reason comes first, never cleared."""

    def __init__(self) -> None:
        self.stopping = False
        """Nothing more is sent."""
        self.fatal: BrokerFatal | ThrottleLost | None = None
        """Why sending stopped early, if it did: the broker refused us outright, or the
        shared throttle was lost."""
        self.journal_failure: JournalError | None = None
        """Why the journal could not be written, if it could not."""

    def halt(self, reason: BrokerFatal | ThrottleLost) -> None:
        """Send nothing more: the broker refused us, or the shared throttle was lost."""
        if isinstance(reason, BrokerFatal) or self.fatal is None:
            self.fatal = reason
        self.stopping = True

    def journal_failed(self, failure: JournalError) -> None:
        if self.journal_failure is None:
            log.error("%s: sending stopped", failure)
        self.journal_failure = failure
        self.stopping = True

    @property
    def reason(self) -> str | None:
        """`fatal` as a user reads it."""
        if self.fatal is None:
            return None
        if isinstance(self.fatal, ThrottleLost):
            return str(self.fatal)
        return f"the broker refused us: {self.fatal}"
