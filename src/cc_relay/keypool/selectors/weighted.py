"""Random, in proportion to each key's weight."""

from __future__ import annotations

import random
from collections.abc import Sequence

from cc_relay.keypool.key import KeyState
from cc_relay.keypool.selectors.base import ScanAll

__all__ = ["Weighted"]


class Weighted(ScanAll):
    """A ready key with probability ``weight / sum of ready weights``.

    Args:
        rng: The source of randomness; seeded in tests.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def select(self, ready: Sequence[KeyState], now: float) -> KeyState:
        total = 0.0
        for state in ready:
            total += state.config.weight
        point = self._rng.random() * total
        for state in ready:
            point -= state.config.weight
            if point < 0.0:
                return state
        return ready[-1]  # float rounding left a sliver past the last key
