"""Session affinity: one Claude Code session stays on one provider and key.

Anthropic's prompt cache is per key (and organisation): a session that hops between
keys pays full price for its ~76 KB prefix on every hop. The router puts a session's
last provider first and asks its pool for the same key, as long as both can take the
request; otherwise the session moves, and stays where it lands.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_CAPACITY = 50_000
DEFAULT_TTL = 3600.0
SESSION_HEADER = "x-claude-code-session-id"


@dataclass(frozen=True, slots=True)
class Placement:
    provider: str
    key: str | None
    """The key's fingerprint."""


class Affinity:
    def __init__(
        self,
        *,
        capacity: int = DEFAULT_CAPACITY,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[str, tuple[Placement, float]] = OrderedDict()
        self._capacity = capacity
        self._ttl = ttl
        self._clock = clock

    def get(self, session: str) -> Placement | None:
        entry = self._entries.get(session)
        if entry is None:
            return None
        if entry[1] < self._clock():
            del self._entries[session]
            return None
        return entry[0]

    def remember(self, session: str, placement: Placement) -> None:
        self._entries[session] = (placement, self._clock() + self._ttl)
        self._entries.move_to_end(session)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
