"""Weighted random order (the default), as LiteLLM's simple-shuffle."""

from __future__ import annotations

import random
from collections.abc import Sequence

from cc_relay.providers import Provider
from cc_relay.routing.context import RouteContext


class SimpleShuffle:
    """Each candidate leads with probability proportional to its weight.

    Efraimidis-Spirakis sampling: sorting by ``u ** (1 / weight)`` gives a weighted
    random permutation in one pass, so the failover chain is weighted too.
    """

    name = "simple-shuffle"

    def __init__(self, rng: random.Random | None = None) -> None:
        self._random = (rng or random.Random()).random

    def order(self, candidates: Sequence[Provider], ctx: RouteContext) -> list[Provider]:
        if len(candidates) < 2:
            return list(candidates)
        keyed = [(self._random() ** (1.0 / p.config.weight), i) for i, p in enumerate(candidates)]
        keyed.sort(reverse=True)
        return [candidates[i] for _, i in keyed]

    def describe(self, provider: Provider, ctx: RouteContext) -> str:
        return f"weight {provider.config.weight:g}"
