"""When things happen on the exchange: the TWSE day laid over a clock. `Schedule` says
which phase it is now, and hands out, in order and once each, the phase changes that have
come due since it was last asked: the opening auction at 09:00, the start of the closing
call at 13:25, the closing auction at 13:30, and a new day at midnight. The market decides
what each change does; the schedule only keeps time.

Both are asked on every request, so each answer is kept for as long as it holds: the phase
until the next boundary of the day, and "nothing is due" until the next change."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import date

from tradeburst.clock import ExchangeDay
from tradeburst.exchange._clock import Clock
from tradeburst.rules import (
    CLOSE_AUCTION,
    CLOSING_CALL_START,
    OPEN,
    PRE_OPEN_START,
    Phase,
    phase_at,
)

__all__ = ["Change", "Schedule"]


class Change(enum.Enum):
    OPENING_AUCTION = OPEN
    CLOSING_CALL = CLOSING_CALL_START
    CLOSING_AUCTION = CLOSE_AUCTION
    NEW_DAY = None


_DAYTIME_CHANGES = (Change.OPENING_AUCTION, Change.CLOSING_CALL, Change.CLOSING_AUCTION)
_PHASE_BOUNDARIES = (PRE_OPEN_START, OPEN, CLOSING_CALL_START, CLOSE_AUCTION)


class Schedule:
    def __init__(self, clock: Clock, *, always_open: bool = False) -> None:
        self.clock = clock
        self.always_open = always_open
        self._synced_ns = clock.now_ns()
        self._calendar = ExchangeDay.containing(self._synced_ns)
        self.day: date = self._calendar.date
        """The trading day the changes handed out so far have brought the market to."""
        self._quiet_until_ns = self._synced_ns
        """Before this, no change comes due after `_synced_ns`."""
        self._phase_span = (0, 0, Phase.CLOSED)
        """(from, until, phase): the phase of every moment in [from, until)."""

    def day_of(self, moment_ns: int) -> ExchangeDay:
        """The calendar day of `moment_ns`, kept while time stays in it."""
        if moment_ns not in self._calendar:
            self._calendar = ExchangeDay.containing(moment_ns)
        return self._calendar

    def phase(self) -> Phase:
        return self._phase_at(self.clock.now_ns())

    @property
    def synced_ns(self) -> int:
        """Exchange time up to which the changes have been handed out."""
        return self._synced_ns

    def synced_phase(self) -> Phase:
        """The phase the changes handed out so far have brought the market to: the phase
        of now as of the last `due`, which a request keeps to its end even if the clock
        crosses a boundary meanwhile (the boundary's change comes with the next `due`)."""
        return self._phase_at(self._synced_ns)

    def _phase_at(self, moment_ns: int) -> Phase:
        start_ns, until_ns, phase = self._phase_span
        if start_ns <= moment_ns < until_ns:
            return phase
        if self.always_open:
            phase = Phase.CONTINUOUS
            self._phase_span = (-(2**63), 2**63, phase)
            return phase
        day = self.day_of(moment_ns)
        bounds = [day.start_ns, *(day.at(when) for when in _PHASE_BOUNDARIES), day.end_ns]
        start_ns = max(bound for bound in bounds if bound <= moment_ns)
        until_ns = min(bound for bound in bounds if bound > moment_ns)
        phase = phase_at(day.time_of_day(moment_ns))
        self._phase_span = (start_ns, until_ns, phase)
        return phase

    def due(self) -> Iterator[Change]:
        """Every change between the last call and now, in order; none if always open."""
        now_ns = self.clock.now_ns()
        if self.always_open or now_ns <= self._synced_ns:
            return
        if now_ns < self._quiet_until_ns:
            self._synced_ns = now_ns
            return
        while (day_end_ns := self.day_of(self._synced_ns).end_ns) <= now_ns:
            yield from self._daytime_changes(self._synced_ns, day_end_ns - 1)
            self._synced_ns = day_end_ns
            self.day = self.day_of(day_end_ns).date
            yield Change.NEW_DAY
        yield from self._daytime_changes(self._synced_ns, now_ns)
        self._synced_ns = now_ns
        day = self.day_of(now_ns)
        self._quiet_until_ns = min(
            [at for change in _DAYTIME_CHANGES if (at := day.at(change.value)) > now_ns]
            + [day.end_ns]
        )

    def _daytime_changes(self, after_ns: int, until_ns: int) -> Iterator[Change]:
        day = self.day_of(until_ns)
        for change in _DAYTIME_CHANGES:
            if after_ns < day.at(change.value) <= until_ns:
                yield change

    def next_change_ns(self) -> int | None:
        """Exchange time of the next change, None if always open."""
        if self.always_open:
            return None
        now_ns = self.clock.now_ns()
        day = self.day_of(now_ns)
        for change in _DAYTIME_CHANGES:
            if (moment_ns := day.at(change.value)) > now_ns:
                return moment_ns
        return day.end_ns

    def resume_from(self, moment_ns: int) -> bool:
        """Count changes from `moment_ns` (the last stored activity) rather than from now,
        so a restart runs what passed while the exchange was down. True if the opening
        auction of that day is still to come."""
        self._synced_ns = min(self._synced_ns, moment_ns)
        self._quiet_until_ns = self._synced_ns  # work out what is due afresh
        return self._synced_ns < self.day_of(self._synced_ns).at(OPEN)
