"""Take turns: each request starts one candidate further along."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from cc_relay.providers import Provider


class RoundRobin:
    """Rotates per set of candidates, so models served by different providers each
    get an even spread."""

    def __init__(self) -> None:
        self._turns: dict[tuple[str, ...], itertools.count[int]] = {}

    def order(self, candidates: Sequence[Provider]) -> list[Provider]:
        if len(candidates) < 2:
            return list(candidates)
        names = tuple(p.name for p in candidates)
        turn = next(self._turns.setdefault(names, itertools.count())) % len(candidates)
        return [*candidates[turn:], *candidates[:turn]]
