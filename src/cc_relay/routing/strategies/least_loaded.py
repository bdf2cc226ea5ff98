"""Fewest requests in flight first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cc_relay.providers import Provider
from cc_relay.routing.context import RouteContext
from cc_relay.routing.stats import ProviderStats


class LeastLoaded:
    name = "least-loaded"

    def __init__(self, stats: Mapping[str, ProviderStats]) -> None:
        self._stats = stats

    def order(self, candidates: Sequence[Provider], ctx: RouteContext) -> list[Provider]:
        # In flight relative to weight, so a provider of weight 2 takes twice the load.
        return sorted(candidates, key=lambda p: self._stats[p.name].in_flight / p.config.weight)

    def describe(self, provider: Provider, ctx: RouteContext) -> str:
        return f"{self._stats[provider.name].in_flight} in flight"
