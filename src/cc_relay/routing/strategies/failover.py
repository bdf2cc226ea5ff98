"""Priority order: the highest ``priority`` first, the rest as the fallback chain."""

from __future__ import annotations

from collections.abc import Sequence

from cc_relay.providers import Provider
from cc_relay.routing.context import RouteContext


class Failover:
    name = "failover"

    def order(self, candidates: Sequence[Provider], ctx: RouteContext) -> list[Provider]:
        # sorted() is stable: equal priorities keep their config order.
        return sorted(candidates, key=lambda p: -p.config.priority)

    def describe(self, provider: Provider, ctx: RouteContext) -> str:
        return f"priority {provider.config.priority}"
