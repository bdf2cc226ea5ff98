"""Take turns: plain, or smoothly weighted as nginx does."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from cc_relay.providers import Provider
from cc_relay.routing.context import RouteContext


class RoundRobin:
    """Each request starts one candidate further along; rotation is kept per set of
    candidates, so models served by different providers each get an even spread."""

    name = "round-robin"

    def __init__(self) -> None:
        self._turns: dict[tuple[str, ...], itertools.count[int]] = {}

    def order(self, candidates: Sequence[Provider], ctx: RouteContext) -> list[Provider]:
        if len(candidates) < 2:
            return list(candidates)
        names = tuple(p.name for p in candidates)
        turn = next(self._turns.setdefault(names, itertools.count())) % len(candidates)
        return [*candidates[turn:], *candidates[:turn]]

    def describe(self, provider: Provider, ctx: RouteContext) -> str:
        return "in turn"


class WeightedRoundRobin:
    """Smooth weighted round-robin (nginx): over any window each candidate leads in
    proportion to its weight, without bursts of the heavy one."""

    name = "weighted-round-robin"

    def __init__(self) -> None:
        self._current: dict[tuple[str, ...], list[float]] = {}

    def order(self, candidates: Sequence[Provider], ctx: RouteContext) -> list[Provider]:
        if len(candidates) < 2:
            return list(candidates)
        names = tuple(p.name for p in candidates)
        current = self._current.setdefault(names, [0.0] * len(candidates))
        weights = [p.config.weight for p in candidates]
        for i, weight in enumerate(weights):
            current[i] += weight
        lead = max(range(len(candidates)), key=current.__getitem__)
        current[lead] -= sum(weights)
        rest = sorted((i for i in range(len(candidates)) if i != lead), key=lambda i: -weights[i])
        return [candidates[lead], *(candidates[i] for i in rest)]

    def describe(self, provider: Provider, ctx: RouteContext) -> str:
        return f"weight {provider.config.weight:g}"
