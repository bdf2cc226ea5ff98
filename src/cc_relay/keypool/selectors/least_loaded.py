"""The key with the most capacity left (the default)."""

from __future__ import annotations

from collections.abc import Sequence

from cc_relay.keypool.key import KeyState

__all__ = ["LeastLoaded"]


class LeastLoaded:
    """Highest headroom (the smallest share left over a key's buckets) wins; ties go to
    the key with fewest requests in flight, then to the least recently used one, so keys
    without limits still take turns instead of the first doing all the work."""

    def select(self, ready: Sequence[KeyState], now: float) -> KeyState:
        best = ready[0]
        best_share = best.headroom(now)
        for state in ready[1:]:
            share = state.headroom(now)
            if share < best_share:
                continue
            if share == best_share and (
                    state.in_flight > best.in_flight
                    or (state.in_flight == best.in_flight
                        and state.last_used >= best.last_used)):
                continue
            best, best_share = state, share
        return best
