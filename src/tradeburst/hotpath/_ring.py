"""The shared-memory single-producer ring of tick records, guarded by a seqlock per slot.

Layout: a 128-byte header of 8-byte words (magic, slot size, capacity, records published,
closed flag), then `capacity` slots of 128 bytes (two cache lines, so a reader of one slot
never shares a line with the writer of the next): an 8-byte sequence word and the 72-byte
`RECORD`. Record `n` goes to slot `n % capacity`; while it is written the slot's sequence
is `2n + 1` (odd), and `2n + 2` once it is whole. The producer never waits for anyone, and
it takes the record's stamp last, just before the store that makes it whole, so the stamp
is not early by the time spent packing the record.

A reader expecting record `n` reads the sequence, the record, and the sequence again: the
record is whole only if both readings are `2n + 2`. Lower means not yet written (or being
written); higher means the producer has lapped the reader, which then counts what was
overwritten (from the published count) and skips ahead, reporting the loss rather than
reading a newer record as an older one. Sequence words are read and written as single
aligned 8-byte loads and stores through a `memoryview` cast to `Q`; the order of those
stores relies on x86-64's total store order (CPython emits no fences), which is what the
hot path targets. `spin` is the busy-poll loop written out over this layout: a waiting
spin is one such load and one comparison, with no call and no attribute lookup. Every
`CHECK_EVERY` spins it also runs a decision's own steps on the slot before (unpacking a
record, making a `Tick`, reading the clock; the `warm` callback on the last tick) and
throws the result away: a core that only spins lets other work evict that code and data
from its caches, and the first decision after a quiet spell then pays microseconds in
misses. `tradeburst bench hotpath` measured the difference (see the README).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from multiprocessing import shared_memory
from typing import Final, Self

from tradeburst.hotpath._record import RECORD, Tick
from tradeburst.hotpath._shm import attach, create, unlink

__all__ = ["RingReader", "RingWriter", "ring_bytes"]

log = logging.getLogger(__name__)

_MAGIC: Final = 0x5442_5249_4E47_0002  # "TBRING", layout 2
SLOT_BYTES: Final = 128
_HEADER_BYTES: Final = 128
_WORDS_PER_SLOT: Final = SLOT_BYTES // 8
_HEADER_WORDS: Final = _HEADER_BYTES // 8
_PUBLISHED: Final = 3
_CLOSED: Final = 4
DEFAULT_CAPACITY: Final = 4096
CHECK_EVERY: Final = 512
"""Waiting spins (about 15 µs here) between looks at the clock and the closed flag, which
also warm the decision path. A tick that lands during a look waits for it (about half a
µs), and a path looked at too seldom goes cold: of 128, 256, 512 and 1024, this gave the
lowest p99s in runs taking turns (the README has the figures)."""
_LOOK_EVERY: Final = 16
"""Decisions in a row between looks at the clock in a backlog of ticks."""
_STAMP_WORD: Final = 2
"""The stamp's word within a slot: after the sequence word and the record number."""


def ring_bytes(capacity: int) -> int:
    return _HEADER_BYTES + capacity * SLOT_BYTES


class _Mapped:
    """What the producer and a reader share: the mapped segment, its views, and letting go
    of it (the owner also unlinks it). The hot paths use only the instance attributes."""

    def __init__(self, memory: shared_memory.SharedMemory, capacity: int, *, owner: bool) -> None:
        self._memory = memory
        self._buf = _buf(memory)
        self._words = _buf(memory).cast("Q")
        self.capacity = capacity
        self._mask = capacity - 1
        self._owner = owner
        self._released = False

    @property
    def name(self) -> str:
        return self._memory.name

    def release(self) -> None:
        """Unmap the ring here without closing it for readers or unlinking it."""
        if not self._released:
            self._released = True
            self._unmap()

    def close(self) -> None:
        if not self._released:
            self._released = True
            self._unmap()
            if self._owner:
                unlink(self._memory)

    def _unmap(self) -> None:
        self._words.release()
        self._buf = memoryview(b"")
        self._memory.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class RingWriter(_Mapped):
    """The one producer. `create` makes the named segment and owns it: `close` marks the
    ring closed and unlinks it."""

    def __init__(self, memory: shared_memory.SharedMemory, capacity: int, *, owner: bool) -> None:
        super().__init__(memory, capacity, owner=owner)
        self._next = int(self._words[_PUBLISHED])

    @classmethod
    def create(cls, name: str, capacity: int = DEFAULT_CAPACITY) -> RingWriter:
        if capacity < 2 or capacity & (capacity - 1):
            raise ValueError(f"ring capacity must be a power of two of at least 2, not {capacity}")
        memory = create(name, ring_bytes(capacity))
        words = _buf(memory).cast("Q")
        words[1], words[2] = SLOT_BYTES, capacity
        words[0] = _MAGIC
        words.release()
        return cls(memory, capacity, owner=True)

    @classmethod
    def attach(cls, name: str) -> RingWriter:
        """Produce into a ring someone else created (and will unlink)."""
        memory = attach(name)
        return cls(memory, _check_header(memory, name), owner=False)

    @property
    def published(self) -> int:
        return self._next

    def publish(
        self,
        kind: int,
        symbol: bytes,
        price_milli: int,
        quantity: int,
        other_price_milli: int = 0,
        other_quantity: int = 0,
        time_ns: int = 0,
    ) -> int:
        """Write one record, stamp it, make it whole; its index."""
        n = self._next
        word = _HEADER_WORDS + (n & self._mask) * _WORDS_PER_SLOT
        stamp_word, whole = word + _STAMP_WORD, 2 * n + 2
        words = self._words
        words[word] = whole - 1
        RECORD.pack_into(
            self._buf,
            (word + 1) * 8,
            n,
            0,
            time_ns,
            symbol,
            kind,
            price_milli,
            quantity,
            other_price_milli,
            other_quantity,
        )
        # Nothing is left to compute between the stamp and the store that publishes.
        words[stamp_word] = time.perf_counter_ns()
        words[word] = whole
        self._next = n + 1
        words[_PUBLISHED] = n + 1
        return n

    def close(self) -> None:
        """Tell readers no more records come; the owner also unlinks the segment."""
        if not self._released:
            self._words[_CLOSED] = 1
        super().close()


class RingReader(_Mapped):
    """One consumer's cursor over a ring. `poll` returns the next whole record or None;
    `missed` counts records the producer overwrote before they were read."""

    def __init__(self, memory: shared_memory.SharedMemory, capacity: int, *, owner: bool) -> None:
        super().__init__(memory, capacity, owner=owner)
        self.next_index = int(self._words[_PUBLISHED])
        self.missed = 0
        self.overruns = 0

    @classmethod
    def attach(cls, name: str, *, from_start: bool = False) -> RingReader:
        """Read a ring another process owns, from the next record published (or from
        record 0 with `from_start`)."""
        memory = attach(name)
        reader = cls(memory, _check_header(memory, name), owner=False)
        if from_start:
            reader.next_index = 0
        return reader

    @classmethod
    def create(cls, name: str, capacity: int = DEFAULT_CAPACITY) -> RingReader:
        """Make the ring here (a producer then attaches) and read it from record 0."""
        RingWriter.create(name, capacity).release()
        return cls(attach(name), capacity, owner=True)

    @property
    def published(self) -> int:
        return int(self._words[_PUBLISHED])

    @property
    def closed(self) -> bool:
        return bool(self._words[_CLOSED])

    def catch_up(self) -> int:
        """Move to the next record to be published, deliberately passing over what is
        there (not counted as missed); how many were passed over."""
        published = self.published
        passed, self.next_index = max(0, published - self.next_index), published
        return passed

    def poll(self) -> Tick | None:
        n = self.next_index
        word = _HEADER_WORDS + (n & self._mask) * _WORDS_PER_SLOT
        want = 2 * n + 2
        sequence = self._words[word]
        if sequence < want:
            return None
        if sequence == want:
            record = RECORD.unpack_from(self._buf, (word + 1) * 8)
            if self._words[word] == want:
                self.next_index = n + 1
                return Tick(*record)
        self._skip_lapped()
        return None

    def spin(
        self,
        decide: Callable[[Tick], object],
        *,
        limit: int,
        deadline_ns: int,
        stopped: Callable[[], bool],
        warm: Callable[[Tick], object] | None = None,
        keep_warm: bool = True,
    ) -> int:
        """Busy-poll, calling `decide` with each whole record, until `limit` records were
        decided on or missed, `stopped()` is true after a decision, `deadline_ns` (on the
        `perf_counter_ns` clock) passes (looked at while waiting and at every
        `_LOOK_EVERY`th decision), or the ring is closed and read to its end; how
        many records were decided on. Each overrun is logged with what it lost. While
        waiting, `warm` is called every `CHECK_EVERY` spins with the last tick decided on
        (never before the first), tens of thousands of times a second: it must run the
        decision's computation and act on nothing (never place an order from it), so that
        computation is in the caches when the next tick comes. Its cost is added to a
        tick that lands while it runs. With `keep_warm` false the loop only waits
        (`bench hotpath` measures both)."""
        words, buf, mask = self._words, self._buf, self._mask
        unpack, make, repeat = RECORD.unpack_from, Tick, itertools.repeat
        clock = time.perf_counter_ns
        ticks = 0
        last: Tick | None = None
        n = self.next_index
        while ticks + self.missed < limit:
            # Everything the slot needs is worked out before waiting on it.
            word = _HEADER_WORDS + (n & mask) * _WORDS_PER_SLOT
            want, at = 2 * n + 2, (word + 1) * 8
            # A waiting spin is this inner loop: one load, one comparison. `repeat` hands
            # out one shared None, where `range` would allocate an int for each spin.
            for _ in repeat(None, CHECK_EVERY):
                sequence = words[word]
                if sequence >= want:
                    break
            else:
                if keep_warm:
                    # The slot before may be torn or rewritten: the result is dropped.
                    before = _HEADER_WORDS + ((n - 1) & mask) * _WORDS_PER_SLOT
                    make(*unpack(buf, (before + 1) * 8))
                    if warm is not None and last is not None:
                        warm(last)
                if clock() > deadline_ns or (words[_CLOSED] and words[_PUBLISHED] <= n):
                    break
                continue
            if sequence == want:
                record = unpack(buf, at)
                if words[word] == want:
                    self.next_index = n + 1
                    last = make(*record)
                    decide(last)
                    n = self.next_index  # `decide` may have moved the reader on
                    ticks += 1
                    # After the decision, not before, and at every `_LOOK_EVERY`th one
                    # (waiting looks on its own): a backlog of ticks must not keep the
                    # loop past its deadline, and a clock read after every decision
                    # would delay a tick that follows close behind.
                    if stopped() or (not ticks % _LOOK_EVERY and clock() > deadline_ns):
                        break
                    continue
            skipped = self._skip_lapped()
            n = self.next_index
            log.warning("reader fell behind: %d ticks overwritten before they were read", skipped)
        return ticks

    def _skip_lapped(self) -> int:
        """The producer overwrote record `next_index`: move to the oldest record that may
        still be whole, and count the ones in between as missed."""
        # The oldest record still in the ring; were it being overwritten as it is read,
        # its sequence check fails and the reader skips again.
        resume = max(self.next_index + 1, int(self._words[_PUBLISHED]) - self.capacity)
        skipped = resume - self.next_index
        self.next_index = resume
        self.missed += skipped
        self.overruns += 1
        return skipped


def _check_header(memory: shared_memory.SharedMemory, name: str) -> int:
    words = _buf(memory).cast("Q")
    try:
        if words[0] != _MAGIC or words[1] != SLOT_BYTES:
            raise ValueError(f"shared memory {name!r} is not a tradeburst tick ring")
        capacity = int(words[2])
    finally:
        words.release()
    if memory.size < ring_bytes(capacity):
        raise ValueError(f"shared memory {name!r} is smaller than its ring header says")
    return capacity


def _buf(memory: shared_memory.SharedMemory) -> memoryview:
    buf = memory.buf
    assert buf is not None, "shared memory closed"
    return buf
