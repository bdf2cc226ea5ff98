"""Which backend family issued each thinking signature.

A signature is only valid at the family that issued it (Anthropic, Bedrock, Vertex and
Azure share one; GLM, Ollama and OpenAI-compatible servers each are their own). The
relay records every signature it relays, keyed by a hash so the ledger holds no
conversation content, in bounded memory with expiry.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

#: The family of signatures the relay never saw: most histories that reach the relay
#: with thinking blocks began at Anthropic, directly or through this relay.
DEFAULT_FAMILY = "anthropic"
DEFAULT_CAPACITY = 100_000
DEFAULT_TTL = 24 * 3600.0


def signature_key(signature: str) -> bytes:
    return hashlib.blake2b(signature.encode(), digest_size=16).digest()


class SignatureLedger:
    """An LRU map from signature hash to family, with a time limit per entry."""

    def __init__(
        self,
        *,
        capacity: int = DEFAULT_CAPACITY,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self._capacity = capacity
        self._ttl = ttl
        self._clock = clock

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, signature: str, family: str) -> None:
        if not signature:
            return
        key = signature_key(signature)
        self._entries[key] = (family, self._clock() + self._ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def family_of(self, signature: str) -> str:
        """The issuing family, or DEFAULT_FAMILY for a signature never seen (or expired)."""
        key = signature_key(signature)
        entry = self._entries.get(key)
        if entry is None:
            return DEFAULT_FAMILY
        family, expires = entry
        if expires < self._clock():
            del self._entries[key]
            return DEFAULT_FAMILY
        return family
