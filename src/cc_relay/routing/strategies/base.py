"""The strategy interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cc_relay.providers import Provider


class Strategy(Protocol):
    """Orders candidates: the first is tried first, the rest are the failover chain."""

    def order(self, candidates: Sequence[Provider]) -> list[Provider]: ...
