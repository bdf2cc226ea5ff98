"""From a model name to an ordered list of attempts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cc_relay.providers import Provider
from cc_relay.routing.resolve import ModelResolver
from cc_relay.routing.strategies import Strategy
from cc_relay.types import Attempt


class UnknownModel(LookupError):
    """No enabled provider serves the model."""

    def __init__(self, model: str, available: Sequence[str]) -> None:
        super().__init__(model)
        self.model = model
        self.available = available


class Router:
    """Model-aware candidate selection, then the strategy's order, then a key each."""

    def __init__(self, providers: Sequence[Provider], strategy: Strategy, *,
                 aliases: Mapping[str, str] | None = None) -> None:
        self.providers = [p for p in providers if p.config.enabled]
        self.strategy = strategy
        self.resolver = ModelResolver(self.providers, aliases or {})

    def candidates(self, model: str) -> tuple[str, list[Provider]]:
        """The model id after aliases and prefixes, and the providers serving it."""
        target = self.resolver.resolve(model)
        if target.provider is not None:
            return target.model, [target.provider]
        return target.model, [p for p in self.providers if p.serves(target.model)]

    def plan(self, model: str) -> list[Attempt]:
        """Attempts in order; raises UnknownModel when nobody serves ``model``."""
        resolved, candidates = self.candidates(model)
        if not candidates:
            raise UnknownModel(model, self.known_models())
        return [Attempt(provider=p, key=p.next_key(),
                        upstream_model=p.upstream_model(resolved))
                for p in self.strategy.order(candidates)]

    def known_models(self) -> list[str]:
        """Aliases, every exact id a provider names or discovered, then the patterns."""
        ids: dict[str, None] = dict.fromkeys(self.resolver.aliases())
        for p in self.providers:
            ids.update(dict.fromkeys(p.config.listed_models))
            ids.update(dict.fromkeys(info.id for info in p.discovered))
        patterns = {pat: None for p in self.providers for pat in p.config.model_patterns
                    if pat not in ids}
        return [*ids, *patterns]
