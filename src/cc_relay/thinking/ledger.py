"""Which backend family issued each thinking signature.

A signature is only valid at the family that issued it (Anthropic, Bedrock, Vertex and
Azure share one; GLM, Ollama and OpenAI-compatible servers each are their own). The
relay records every signature it relays, keyed by a hash so the ledger holds no
conversation content, in bounded memory with expiry.

Lookups stay in memory. With the usage ledger on, every new entry is also handed to
``on_record`` (the ledger's writer thread persists it) and :meth:`SignatureLedger.restore`
loads what the database kept at start-up, so a restart does not forget who signed what.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable

from cc_relay.lru import ExpiringLRU

#: The family of signatures the relay never saw: most histories that reach the relay
#: with thinking blocks began at Anthropic, directly or through this relay.
DEFAULT_FAMILY = "anthropic"
DEFAULT_CAPACITY = 100_000
DEFAULT_TTL = 24 * 3600.0


def signature_key(signature: str) -> bytes:
    return hashlib.blake2b(signature.encode(), digest_size=16).digest()


class SignatureLedger:
    """A bounded map from signature hash to family, with a time limit per entry."""

    def __init__(
        self,
        *,
        capacity: int = DEFAULT_CAPACITY,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: ExpiringLRU[bytes, str] = ExpiringLRU(
            capacity=capacity, ttl=ttl, clock=clock
        )
        self._ttl = ttl
        self.on_record: Callable[[tuple[bytes, str, float]], None] | None = None
        """Told (hash, family, Unix expiry) of every signature recorded."""
        self.shared: Callable[[tuple[bytes, str, float]], None] | None = None
        """Likewise, for the replicas sharing state (``cc_relay.state``)."""

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, signature: str, family: str) -> None:
        if signature:
            key = signature_key(signature)
            if self._entries.get(key) != family:
                entry = (key, family, time.time() + self._ttl)
                if self.on_record is not None:
                    self.on_record(entry)
                if self.shared is not None:
                    self.shared(entry)
            self._entries.put(key, family)

    def restore(self, entries: Iterable[tuple[bytes, str, float]]) -> None:
        """Entries (hash, family, Unix expiry) kept from before a restart, oldest first."""
        now = time.time()
        for key, family, expires in entries:
            if expires > now:
                self._entries.put(key, family, ttl=expires - now)

    def family_of(self, signature: str) -> str:
        """The issuing family, or DEFAULT_FAMILY for a signature never seen (or expired)."""
        return self._entries.get(signature_key(signature)) or DEFAULT_FAMILY
