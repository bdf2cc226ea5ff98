"""From a model name to a plan of attempts, and the state routing decisions read.

The router owns, per provider, a key pool, a circuit breaker and counters; and the
session-affinity table. Strategies order the candidates; the plan walks that order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cc_relay.config import RoutingConfig
from cc_relay.health import BreakerSettings, CircuitBreaker, log_change
from cc_relay.keypool import KeyPool
from cc_relay.providers import Provider
from cc_relay.routing import strategies
from cc_relay.routing.affinity import Affinity, Placement
from cc_relay.routing.context import RouteContext
from cc_relay.routing.plan import Plan, Skip
from cc_relay.routing.resolve import ModelResolver
from cc_relay.routing.stats import ProviderStats
from cc_relay.types import Attempt


class UnknownModel(LookupError):
    """No enabled provider serves the model."""

    def __init__(self, model: str, available: Sequence[str]) -> None:
        super().__init__(model)
        self.model = model
        self.available = available


class Router:
    """Model-aware candidate selection, the strategy's order, keys and circuits."""

    def __init__(
        self,
        providers: Sequence[Provider],
        config: RoutingConfig | None = None,
        *,
        aliases: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or RoutingConfig()
        self.providers = [p for p in providers if p.config.enabled]
        self.stats = {p.name: ProviderStats() for p in self.providers}
        self.strategy = strategies.create(self.config, self.stats)
        self.resolver = ModelResolver(self.providers, aliases or {})
        self.pools = {
            p.name: KeyPool(p.config.keys, selection=p.config.key_selection, clock=clock)
            for p in self.providers
        }
        self.breakers = {
            p.name: CircuitBreaker(
                _breaker_settings(p), clock=clock, name=p.name, on_change=log_change
            )
            for p in self.providers
        }
        self.affinity = Affinity(clock=clock)
        self._clock = clock

    def candidates(self, model: str) -> tuple[str, list[Provider]]:
        """The model id after aliases and prefixes, and the providers serving it."""
        target = self.resolver.resolve(model)
        if target.provider is not None:
            return target.model, [target.provider]
        return target.model, [p for p in self.providers if p.serves(target.model)]

    def plan(self, model: str, ctx: RouteContext | None = None) -> Plan:
        """The attempts for a request; raises UnknownModel when nobody serves ``model``."""
        ctx, candidates, ordered, placement = self._order(model, ctx)
        plan = Plan.build(self, ctx, ordered, placement)
        for left_out in (p for p in candidates if p not in ordered):
            plan.skipped.append(_left_out(self, left_out, ctx))
        return plan

    def _order(
        self, model: str, ctx: RouteContext | None
    ) -> tuple[RouteContext, list[Provider], list[Provider], Placement | None]:
        """Candidates in the strategy's order, the session's provider first."""
        resolved, candidates = self.candidates(model)
        if not candidates:
            raise UnknownModel(model, self.known_models())
        ctx = _with_model(ctx, resolved)
        ordered = self.strategy.order(candidates, ctx)
        placement = self._placement(ctx)
        if placement is not None:
            ordered = _put_first(ordered, placement.provider)
        return ctx, candidates, ordered, placement

    def place(self, session: str, attempt: Attempt) -> None:
        """Remember where a session's request succeeded."""
        if self.config.session_affinity:
            fingerprint = attempt.lease.fingerprint if attempt.lease is not None else None
            self.affinity.remember(session, Placement(attempt.provider.name, fingerprint))

    def _placement(self, ctx: RouteContext) -> Placement | None:
        if not self.config.session_affinity or ctx.session is None:
            return None
        placement = self.affinity.get(ctx.session)
        if placement is not None and placement.provider in self.stats:
            self.stats[placement.provider].affinity_hits += 1
        return placement

    def explain(self, model: str, ctx: RouteContext | None = None) -> dict[str, Any]:
        """What ``plan`` would do, and why, without taking any key or circuit slot."""
        ctx, candidates, ordered, placement = self._order(model, ctx)
        resolved = ctx.model
        now = self._clock()
        attempts: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        for provider in ordered:
            verdict = self._verdict(provider, ctx, now)
            entry = {
                "provider": provider.name,
                "type": provider.config.type,
                "upstream_model": provider.upstream_model(resolved),
                **verdict,
                "why": self.strategy.describe(provider, ctx),
            }
            (attempts if verdict.pop("usable") else skipped).append(entry)
        skipped += [
            {
                "provider": p.name,
                "reason": "left out by the strategy",
                "why": self.strategy.describe(p, ctx),
            }
            for p in candidates
            if p not in ordered
        ]
        skipped += [
            {"provider": p.name, "reason": f"does not serve {resolved!r}"}
            for p in self.providers
            if p not in candidates
        ]
        return {
            "model": model,
            "resolved_model": resolved,
            "strategy": self.strategy.name,
            "session_affinity": placement is not None,
            "estimated_input_tokens": ctx.input_tokens,
            "attempts": attempts,
            "skipped": skipped,
        }

    def _verdict(self, provider: Provider, ctx: RouteContext, now: float) -> dict[str, Any]:
        breaker = self.breakers[provider.name]
        circuit = breaker.state.value
        if not breaker.allows():
            retry = breaker.retry_at()
            return {
                "usable": False,
                "circuit": circuit,
                "reason": f"circuit {circuit}"
                + (f", probe in {retry - now:.1f}s" if retry else ""),
            }
        pool = self.pools[provider.name]
        if not len(pool):
            return {
                "usable": True,
                "circuit": circuit,
                "key": None,
                "reason": "no keys configured: client credentials or none",
            }
        wait = pool.available_at() - self._clock()  # available_at reads the clock first
        if wait > 0:
            return {
                "usable": False,
                "circuit": circuit,
                "reason": f"every key is rate limited; next free in {wait:.1f}s",
            }
        return {
            "usable": True,
            "circuit": circuit,
            "keys": len(pool),
            "reason": "model match, circuit closed, key budget left",
        }

    def known_models(self) -> list[str]:
        """Aliases, every exact id a provider names or discovered, then the patterns."""
        ids: dict[str, None] = dict.fromkeys(self.resolver.aliases())
        for p in self.providers:
            ids.update(dict.fromkeys(p.config.listed_models))
            ids.update(dict.fromkeys(info.id for info in p.discovered))
        patterns = {
            pat: None for p in self.providers for pat in p.config.model_patterns if pat not in ids
        }
        return [*ids, *patterns]


def _breaker_settings(provider: Provider) -> BreakerSettings:
    circuit = provider.config.circuit
    return BreakerSettings(
        failure_threshold=circuit.failure_threshold,
        cooldown=circuit.cooldown,
        half_open_probes=circuit.half_open_probes,
    )


def _with_model(ctx: RouteContext | None, model: str) -> RouteContext:
    if ctx is None:
        return RouteContext(model=model)
    return RouteContext(
        model=model, input_tokens=ctx.input_tokens, max_tokens=ctx.max_tokens, session=ctx.session
    )


def _put_first(ordered: list[Provider], name: str) -> list[Provider]:
    first = [p for p in ordered if p.name == name]
    return [*first, *(p for p in ordered if p.name != name)]


def _left_out(router: Router, provider: Provider, ctx: RouteContext) -> Skip:
    return Skip(provider.name, router.strategy.describe(provider, ctx))
