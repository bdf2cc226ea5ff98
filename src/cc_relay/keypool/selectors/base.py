"""The selector interface: which of the keys that can take a request gets it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from typing import Protocol

from cc_relay.keypool.key import KeyState

__all__ = ["ScanAll", "Selector", "ready_keys"]


class Selector(Protocol):
    """Picks one key. The pool keeps one selector per priority tier, so state such as a
    round-robin turn belongs to one tier.

    ``ready`` is never empty, holds only keys that can take the request now, and keeps
    pool order.
    """

    def select(self, ready: Sequence[KeyState], now: float) -> KeyState: ...

    def pick(
        self, keys: Sequence[KeyState], estimate: float, now: float, exclude: Collection[str]
    ) -> KeyState | None:
        """A key of ``keys`` (one tier) that can take ``estimate`` tokens now, leaving
        out ``exclude`` (fingerprints); None when none can."""
        ...


def ready_keys(
    keys: Sequence[KeyState], estimate: float, now: float, exclude: Collection[str]
) -> list[KeyState]:
    return [s for s in keys if s.ready_at(estimate) <= now and s.fingerprint not in exclude]


class ScanAll(ABC):
    """``pick`` by looking at every key, then ``select`` among the ready ones."""

    @abstractmethod
    def select(self, ready: Sequence[KeyState], now: float) -> KeyState: ...

    def pick(
        self, keys: Sequence[KeyState], estimate: float, now: float, exclude: Collection[str]
    ) -> KeyState | None:
        ready = ready_keys(keys, estimate, now, exclude)
        return self.select(ready, now) if ready else None
