"""Keys take turns in config order."""

from __future__ import annotations

from collections.abc import Sequence

from cc_relay.keypool.key import KeyState
from cc_relay.keypool.selectors.base import ScanAll

__all__ = ["RoundRobin"]


class RoundRobin(ScanAll):
    """The next key after the last one picked; a key that cannot take the request is
    skipped, and the turn continues after whichever key did take it."""

    def __init__(self) -> None:
        self._next = 0

    def select(self, ready: Sequence[KeyState], now: float) -> KeyState:
        chosen = ready[0]
        for state in ready:
            if state.index >= self._next:
                chosen = state
                break
        self._next = chosen.index + 1
        return chosen
