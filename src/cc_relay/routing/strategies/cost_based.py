"""Cheapest provider for this request first, by the price table in config.

A request's expected cost is its estimated input tokens at the input price plus the
expected output (max_tokens, capped) at the output price. Providers without a price go
last; providers above ``max_cost_per_million_tokens`` are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cc_relay.providers import Provider
from cc_relay.routing.context import RouteContext


class CostBased:
    name = "cost-based"

    def __init__(self, *, max_cost_per_million: float | None = None) -> None:
        self._cap = max_cost_per_million

    def cost(self, provider: Provider, ctx: RouteContext) -> float:
        """Expected USD for this request; infinity when the provider has no price."""
        price = provider.config.price(ctx.model)
        if price is None:
            return math.inf
        return (
            ctx.input_tokens * price.input + ctx.expected_output_tokens * price.output
        ) / 1_000_000

    def order(self, candidates: Sequence[Provider], ctx: RouteContext) -> list[Provider]:
        allowed = [p for p in candidates if self.within_cap(p, ctx)]
        return sorted(allowed, key=lambda p: self.cost(p, ctx))

    def within_cap(self, provider: Provider, ctx: RouteContext) -> bool:
        price = provider.config.price(ctx.model)
        return self._cap is None or price is None or max(price.input, price.output) <= self._cap

    def describe(self, provider: Provider, ctx: RouteContext) -> str:
        if not self.within_cap(provider, ctx):
            return f"price above max_cost_per_million_tokens ({self._cap:g})"
        cost = self.cost(provider, ctx)
        return "no price configured" if math.isinf(cost) else f"expected ${cost:.6f}"
