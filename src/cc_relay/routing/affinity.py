"""Session affinity: one Claude Code session stays on one provider and key.

Anthropic's prompt cache is per key (and organisation): a session that hops between
keys pays full price for its ~76 KB prefix on every hop. The router puts a session's
last provider first and asks its pool for the same key, as long as both can take the
request; otherwise the session moves, and stays where it lands.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cc_relay.lru import ExpiringLRU

DEFAULT_CAPACITY = 50_000
DEFAULT_TTL = 3600.0
SESSION_HEADER = "x-claude-code-session-id"


@dataclass(frozen=True, slots=True)
class Placement:
    provider: str
    key: str | None
    """The key's fingerprint."""


class Affinity:
    """Session id -> where its last request succeeded; bounded, with expiry."""

    def __init__(
        self,
        *,
        capacity: int = DEFAULT_CAPACITY,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: ExpiringLRU[str, Placement] = ExpiringLRU(
            capacity=capacity, ttl=ttl, clock=clock
        )

    def get(self, session: str) -> Placement | None:
        return self._entries.get(session)

    def remember(self, session: str, placement: Placement) -> None:
        self._entries.put(session, placement)

    def __len__(self) -> int:
        return len(self._entries)
