"""Lowest recent time to first token, with a little exploration.

Time to first token is tracked as an EWMA per provider. A provider never measured goes
first (so it gets measured); and with probability ``exploration`` a random other
candidate leads (``routing.exploration``), so a provider that recovered from a slow
spell is noticed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from cc_relay.config.schema import DEFAULT_EXPLORATION
from cc_relay.providers import Provider
from cc_relay.routing.context import RouteContext
from cc_relay.routing.stats import ProviderStats


class LatencyBased:
    name = "latency-based"

    def __init__(
        self,
        stats: Mapping[str, ProviderStats],
        *,
        exploration: float = DEFAULT_EXPLORATION,
        rng: random.Random | None = None,
    ) -> None:
        self._stats = stats
        self._exploration = exploration
        self._rng = rng or random.Random()

    def order(self, candidates: Sequence[Provider], ctx: RouteContext) -> list[Provider]:
        ordered = sorted(candidates, key=self._ttft)
        if len(ordered) > 1 and self._rng.random() < self._exploration:
            lead = ordered.pop(self._rng.randrange(1, len(ordered)))
            ordered.insert(0, lead)
        return ordered

    def _ttft(self, provider: Provider) -> float:
        ewma = self._stats[provider.name].ttft_ewma
        return -1.0 if ewma is None else ewma

    def describe(self, provider: Provider, ctx: RouteContext) -> str:
        ewma = self._stats[provider.name].ttft_ewma
        return "not measured yet" if ewma is None else f"ttft {ewma * 1000:.0f} ms (ewma)"
