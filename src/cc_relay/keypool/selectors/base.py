"""The selector interface: which of the keys that can take a request gets it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cc_relay.keypool.key import KeyState

__all__ = ["Selector"]


class Selector(Protocol):
    """Picks one key. The pool keeps one selector per priority tier, so state such as a
    round-robin turn belongs to one tier.

    ``ready`` is never empty, holds only keys that can take the request now, and keeps
    pool order.
    """

    def select(self, ready: Sequence[KeyState], now: float) -> KeyState: ...
