"""Which backend family issued each thinking signature.

A signature is only valid at the family that issued it (Anthropic, Bedrock, Vertex and
Azure share one; GLM, Ollama and OpenAI-compatible servers each are their own). The
relay records every signature it relays, keyed by a hash so the ledger holds no
conversation content, in bounded memory with expiry.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

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

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, signature: str, family: str) -> None:
        if signature:
            self._entries.put(signature_key(signature), family)

    def family_of(self, signature: str) -> str:
        """The issuing family, or DEFAULT_FAMILY for a signature never seen (or expired)."""
        return self._entries.get(signature_key(signature)) or DEFAULT_FAMILY
