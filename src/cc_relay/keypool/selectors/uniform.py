"""Any ready key, with equal chance."""

from __future__ import annotations

import random
from collections.abc import Sequence

from cc_relay.keypool.key import KeyState
from cc_relay.keypool.selectors.base import ScanAll

__all__ = ["Uniform"]


class Uniform(ScanAll):
    """``random`` in config: each ready key equally likely.

    Args:
        rng: The source of randomness; seeded in tests.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def select(self, ready: Sequence[KeyState], now: float) -> KeyState:
        return ready[self._rng.randrange(len(ready))]
