"""The key with the most capacity left (the default)."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence

from cc_relay.keypool.key import KeyState
from cc_relay.keypool.selectors.base import ScanAll, ready_keys

__all__ = ["LeastLoaded"]


#: Tiers larger than this compare two keys drawn at random instead of all of them.
SAMPLE_ABOVE = 8


class LeastLoaded(ScanAll):
    """Highest headroom (the smallest share left over a key's buckets) wins; ties go to
    the key with fewest requests in flight, then to the least recently used one, so keys
    without limits still take turns instead of the first doing all the work.

    In a tier of more than SAMPLE_ABOVE keys, the two compared are drawn at random
    (the "power of two choices"): selection stays O(1) whatever the pool size, and load
    spreads nearly as evenly as comparing every key. Only when neither drawn key can take
    the request are all keys looked at.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def pick(
        self, keys: Sequence[KeyState], estimate: float, now: float, exclude: Collection[str]
    ) -> KeyState | None:
        if len(keys) > SAMPLE_ABOVE:
            first = self._rng.randrange(len(keys))
            second = (first + 1 + self._rng.randrange(len(keys) - 1)) % len(keys)
            drawn = ready_keys((keys[first], keys[second]), estimate, now, exclude)
            if drawn:
                return self.select(drawn, now)
        return super().pick(keys, estimate, now, exclude)

    def select(self, ready: Sequence[KeyState], now: float) -> KeyState:
        best = ready[0]
        best_share = best.headroom(now)
        for state in ready[1:]:
            share = state.headroom(now)
            if share < best_share:
                continue
            if share == best_share and (
                state.in_flight > best.in_flight
                or (state.in_flight == best.in_flight and state.last_used >= best.last_used)
            ):
                continue
            best, best_share = state, share
        return best
