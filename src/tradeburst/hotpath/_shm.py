"""Named POSIX shared memory through `multiprocessing.shared_memory`, with its lifetime
in the creator's hands only. Python 3.11 registers every open of a segment with the
process's resource tracker, which unlinks it when that process exits, so a reader that
leaves would destroy the producer's ring; and `multiprocessing` children share their
parent's tracker, whose ledger is a set, so registrations must stay balanced or the
tracker complains. Hence: every open is unregistered at once, and `unlink` registers the
name again just before unlinking (which unregisters it). The price: a creator killed
with SIGKILL leaves its segment in /dev/shm until it is removed by hand."""

from __future__ import annotations

from multiprocessing import resource_tracker, shared_memory

__all__ = ["attach", "create", "unlink"]

_KIND = "shared_memory"


def create(name: str, size: int) -> shared_memory.SharedMemory:
    """A new zeroed segment; `FileExistsError` if one of that name exists."""
    memory = shared_memory.SharedMemory(name=name, create=True, size=size)
    resource_tracker.unregister(_tracked(memory), _KIND)
    return memory


def attach(name: str) -> shared_memory.SharedMemory:
    """An existing segment; `FileNotFoundError` if absent."""
    memory = shared_memory.SharedMemory(name=name)
    resource_tracker.unregister(_tracked(memory), _KIND)
    return memory


def unlink(memory: shared_memory.SharedMemory) -> None:
    """Remove the segment's name (mappings stay valid until closed)."""
    resource_tracker.register(_tracked(memory), _KIND)
    memory.unlink()


def _tracked(memory: shared_memory.SharedMemory) -> str:
    return "/" + memory.name
