"""Keeping one feed's updates in order across reconnects: the last `seq` delivered per
(channel, symbol), and the exchange run (`epoch`) the numbers belong to.

A subscription starts with a snapshot stamped with the current `seq`. On a reconnect the
snapshot tells what was missed: the same `seq` as the last delivered means nothing (the
snapshot is a duplicate and is dropped); a higher one means updates were published while
the feed was away. A book is a whole state, so the snapshot brings it up to date; trades
cannot be replayed, so the numbers in between are reported as one `Gap`. An update whose
`seq` is not above the last delivered is a duplicate and is dropped; one that skips
numbers is a gap, delivered with its `Gap` and answered with a resubscription. A new
`epoch` means the exchange restarted and numbering began again: every count is reset.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeburst.marketdata._events import Gap, MarketEvent
from tradeburst.marketdata._wire import book_of, trade_of
from tradeburst.wire import Frame

__all__ = ["FeedStats", "Sequencer"]


@dataclass(slots=True)
class FeedStats:
    delivered: int = 0
    duplicates: int = 0
    """Updates dropped because their `seq` had been delivered already."""
    gaps: int = 0
    missed: int = 0
    """Trade numbers reported in gaps."""
    reconnects: int = 0
    resubscribes: int = 0
    bad_frames: int = 0


class Sequencer:
    def __init__(self) -> None:
        self.epoch: int | None = None
        self.last: dict[tuple[str, str], int] = {}
        self.stats = FeedStats()

    def accept(self, frame: Frame) -> tuple[list[MarketEvent], bool]:
        """The events `frame` delivers, and whether its key needs a fresh snapshot."""
        if frame.channel is None or frame.symbol is None or frame.seq is None:
            return [], False
        key = (frame.channel, frame.symbol)
        if frame.event == "snapshot":
            if frame.epoch is not None and frame.epoch != self.epoch:
                if self.epoch is not None:
                    self.last.clear()  # the exchange restarted: numbering began again
                self.epoch = frame.epoch
            return self._update(key, frame, snapshot=True), False
        if frame.event == "data":
            last = self.last.get(key)
            skipped = last is not None and frame.seq > last + 1
            return self._update(key, frame, snapshot=False), skipped
        return [], False

    def _update(self, key: tuple[str, str], frame: Frame, *, snapshot: bool) -> list[MarketEvent]:
        assert frame.seq is not None
        channel, symbol = key
        seq = frame.seq
        last = self.last.get(key)
        if last is not None and seq <= last:
            self.stats.duplicates += 1
            return []
        events: list[MarketEvent] = []
        if channel == "trades" and last is not None and seq > last + 1:
            gap = Gap(symbol=symbol, channel=channel, first_seq=last + 1, last_seq=seq - 1)
            self.stats.gaps += 1
            self.stats.missed += gap.missed
            events.append(gap)
        self.last[key] = seq
        if frame.data is None:  # a trades snapshot before the first trade of the day
            return events
        if channel == "books":
            events.append(book_of(frame.data, seq, snapshot=snapshot))
        else:
            events.append(trade_of(frame.data, seq, snapshot=snapshot))
        self.stats.delivered += 1
        return events
