"""Route by model pattern to named providers: ``claude-*: [anthropic, bedrock]``.

The first pattern that matches the model names the providers and their order;
``*`` (or no match at all) falls back to the default route, and without one to every
candidate in config order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cc_relay.config import model_matches
from cc_relay.providers import Provider
from cc_relay.routing.context import RouteContext

DEFAULT_ROUTE = "*"


class ModelBased:
    name = "model-based"

    def __init__(self, routes: Mapping[str, Sequence[str]]) -> None:
        self._routes = [(k, tuple(v)) for k, v in routes.items() if k != DEFAULT_ROUTE]
        self._default = tuple(routes.get(DEFAULT_ROUTE, ()))

    def route(self, model: str) -> tuple[str, ...]:
        return next(
            (names for pattern, names in self._routes if model_matches(model, (pattern,))),
            self._default,
        )

    def order(self, candidates: Sequence[Provider], ctx: RouteContext) -> list[Provider]:
        names = self.route(ctx.model)
        if not names:
            return list(candidates)
        by_name = {p.name: p for p in candidates}
        return [by_name[n] for n in names if n in by_name]

    def describe(self, provider: Provider, ctx: RouteContext) -> str:
        names = self.route(ctx.model)
        if not names:
            return "no route for this model: config order"
        if provider.name not in names:
            return "not in this model's route"
        return f"route position {names.index(provider.name) + 1}"
