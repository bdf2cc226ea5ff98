"""A bounded map whose entries also expire: session affinity and the signature ledger.

Reads and writes are O(1). The least recently written entry goes first when the map is
full; an expired entry is dropped when it is next read.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ExpiringLRU(Generic[K, V]):
    """At most ``capacity`` entries, each readable for ``ttl`` seconds after its write.

    Args:
        capacity: entries kept; the oldest write goes first.
        ttl: seconds an entry lives after it was written.
        clock: monotonic seconds, injected so tests can move time.
    """

    __slots__ = ("_capacity", "_clock", "_entries", "_ttl")

    def __init__(
        self, *, capacity: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._capacity = capacity
        self._ttl = ttl
        self._clock = clock

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] < self._clock():
            del self._entries[key]
            return None
        return entry[0]

    def put(self, key: K, value: V, *, ttl: float | None = None) -> None:
        """Write ``key``; it lives ``ttl`` seconds (default: the map's)."""
        self._entries[key] = (value, self._clock() + (self._ttl if ttl is None else ttl))
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def items(self) -> Iterator[tuple[K, V]]:
        """Entries not yet expired, oldest write first."""
        now = self._clock()
        for key, (value, expires) in list(self._entries.items()):
            if expires >= now:
                yield key, value
