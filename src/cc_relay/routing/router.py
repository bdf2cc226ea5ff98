"""From a model name to a plan of attempts, and the state routing decisions read.

The router owns, per provider, a key pool, a circuit breaker and counters; and the
session-affinity table. Strategies order the candidates; the plan walks that order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cc_relay.config import RoutingConfig
from cc_relay.errors import UnknownModel
from cc_relay.health import BreakerSettings, CircuitBreaker, OnChange
from cc_relay.keypool import KeyPool
from cc_relay.providers import Provider
from cc_relay.routing import strategies
from cc_relay.routing.affinity import Affinity, Placement
from cc_relay.routing.context import RouteContext
from cc_relay.routing.plan import Plan, Skip
from cc_relay.routing.resolve import ModelResolver
from cc_relay.routing.stats import ProviderStats
from cc_relay.types import Attempt

if TYPE_CHECKING:
    from cc_relay.state.base import AffinityShare, CircuitShare, KeyLimiter


#: Model ids whose candidates a router remembers before it starts over.
_CANDIDATE_CACHE = 256


@dataclass(frozen=True, slots=True)
class Candidates:
    model: str
    """The model id after aliases and prefixes."""
    serving: tuple[Provider, ...]
    excluded: tuple[tuple[Provider, str], ...]
    """Every other enabled provider, with the reason it cannot take the model."""


@dataclass(frozen=True, slots=True)
class Route:
    ctx: RouteContext
    ordered: list[Provider]
    placement: Placement | None
    left_out: list[Provider]
    """Candidates the strategy left out (cost caps, model routes)."""
    excluded: tuple[tuple[Provider, str], ...]
    """Providers that are no candidates, with the reason."""


class Router:
    """Model-aware candidate selection, the strategy's order, keys and circuits."""

    def __init__(
        self,
        providers: Sequence[Provider],
        config: RoutingConfig | None = None,
        *,
        aliases: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        previous: Router | None = None,
        on_circuit_change: OnChange | None = None,
    ) -> None:
        """Build the routing state for ``providers``.

        Args:
            previous: the router this one replaces after a config reload. A provider it
                also had, as the same object (its connection settings did not change),
                keeps its circuit and counters; a provider it had by name keeps its keys'
                state (buckets, cooldowns, learned limits); sessions stay where they were
                and a round-robin rotation goes on where it was.
            on_circuit_change: called on every circuit transition.
        """
        self.config = config or RoutingConfig()
        self.providers = [p for p in providers if p.config.enabled]
        before = {p.name: p for p in previous.providers} if previous is not None else {}
        kept = {p.name for p in self.providers if before.get(p.name) is p}
        self.stats: dict[str, ProviderStats] = {
            p.name: previous.stats[p.name]
            if previous is not None and p.name in kept
            else ProviderStats()
            for p in self.providers
        }
        self.strategy: strategies.Strategy = strategies.create(
            self.config, self.stats, previous=previous.strategy if previous else None
        )
        self.resolver = ModelResolver(self.providers, aliases or {})
        self.pools: dict[str, KeyPool] = {
            p.name: KeyPool(
                p.config.keys,
                selection=p.config.key_selection,
                clock=clock,
                previous=previous.pools.get(p.name) if previous is not None else None,
            )
            for p in self.providers
        }
        self.breakers: dict[str, CircuitBreaker] = {}
        for p in self.providers:
            if previous is not None and p.name in kept:
                breaker = previous.breakers[p.name]
                breaker.retune(_breaker_settings(p))
            else:
                breaker = CircuitBreaker(
                    _breaker_settings(p), clock=clock, name=p.name, on_change=on_circuit_change
                )
            self.breakers[p.name] = breaker
        self.affinity: Affinity = (
            previous.affinity if previous is not None else Affinity(clock=clock)
        )
        self._clock = clock
        self._candidates: dict[str, tuple[tuple[int, ...], Candidates]] = {}
        self.shared_keys: KeyLimiter | None = previous.shared_keys if previous else None
        """The fleet's shared key buckets (``cc_relay.state``); None with the memory
        backend, when the pools alone decide."""
        self.shared_circuits: CircuitShare | None = previous.shared_circuits if previous else None
        """Who sends a half-open trial when replicas share circuits; None alone."""
        self.shared_affinity: AffinityShare | None = previous.shared_affinity if previous else None
        """Session placements shared by replicas; None alone."""

    def candidates(self, model: str) -> Candidates:
        """The model id after aliases and prefixes, the providers serving it, and why
        each other provider does not.

        Remembered per model id: the answer depends only on the config, fixed for this
        router, and on the models discovered since, which ``discovery_round`` tracks.
        Client-chosen ids could fill the cache, so past ``_CANDIDATE_CACHE`` it starts
        over instead of growing.
        """
        rounds = tuple(p.discovery_round for p in self.providers)
        cached = self._candidates.get(model)
        if cached is not None and cached[0] == rounds:
            return cached[1]
        found = self._find(model)
        if len(self._candidates) >= _CANDIDATE_CACHE:
            self._candidates.clear()
        self._candidates[model] = (rounds, found)
        return found

    def _find(self, model: str) -> Candidates:
        target = self.resolver.resolve(model)
        if target.provider is not None:
            pinned = target.provider.name
            return Candidates(
                target.model,
                (target.provider,),
                tuple((p, f"not the pinned provider ({model!r} is pinned to {pinned!r})")
                      for p in self.providers if p is not target.provider),
            )  # fmt: skip
        serving = tuple(p for p in self.providers if p.serves(target.model))
        return Candidates(
            target.model,
            serving,
            tuple((p, f"does not serve {target.model!r}") for p in self.providers
                  if p not in serving),
        )  # fmt: skip

    def plan(self, model: str, ctx: RouteContext | None = None) -> Plan:
        """The attempts for a request; raises UnknownModel when nobody serves ``model``."""
        route = self._route(model, ctx)
        plan = Plan.build(self, route.ctx, route.ordered, route.placement)
        plan.skipped.extend(
            Skip(p.name, self.strategy.describe(p, route.ctx)) for p in route.left_out
        )
        return plan

    def _route(self, model: str, ctx: RouteContext | None) -> Route:
        """The one routing decision that ``plan`` and ``explain`` share: candidates in
        the strategy's order (the session's provider first), and every provider left out
        with the reason."""
        found = self.candidates(model)
        if not found.serving:
            raise UnknownModel(model, self.known_models())
        ctx = _with_model(ctx, found.model)
        ordered = self.strategy.order(found.serving, ctx)
        placement = self._placement(ctx)
        if placement is not None:
            ordered = _put_first(ordered, placement.provider)
        left_out = [p for p in found.serving if p not in ordered]
        return Route(ctx, ordered, placement, left_out, found.excluded)

    def reset_circuit(self, name: str) -> bool:
        """Close a provider's circuit now; False when the router has no such provider."""
        breaker = self.breakers.get(name)
        if breaker is None:
            return False
        breaker.reset()
        return True

    def place(self, session: str, attempt: Attempt) -> None:
        """Remember where a session's request succeeded."""
        if self.config.session_affinity:
            fingerprint = attempt.lease.fingerprint if attempt.lease is not None else None
            placement = Placement(attempt.provider.name, fingerprint)
            shared = self.shared_affinity
            if shared is not None and self.affinity.get(session) != placement:
                shared.remember(session, placement.provider, placement.key)
            self.affinity.remember(session, placement)

    async def recall(self, session: str | None) -> None:
        """Fill the local affinity table from the shared one when it has no entry for
        ``session``; call only with shared affinity (one round trip on a local miss)."""
        shared = self.shared_affinity
        if (
            shared is None
            or session is None
            or not self.config.session_affinity
            or self.affinity.get(session) is not None
        ):
            return
        found = await shared.fetch(session)
        if found is not None:
            self.affinity.remember(session, Placement(*found))

    def _placement(self, ctx: RouteContext) -> Placement | None:
        if not self.config.session_affinity or ctx.session is None:
            return None
        placement = self.affinity.get(ctx.session)
        if placement is not None and placement.provider in self.stats:
            self.stats[placement.provider].affinity_hits += 1
        return placement

    def explain(self, model: str, ctx: RouteContext | None = None) -> dict[str, Any]:
        """What ``plan`` would do, and why, without taking any key or circuit slot."""
        route = self._route(model, ctx)
        ctx = route.ctx
        now = self._clock()
        attempts: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        for provider in route.ordered:
            verdict = self._verdict(provider, ctx, now)
            entry = {
                "provider": provider.name,
                "type": provider.config.type,
                "upstream_model": provider.upstream_model(ctx.model),
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
            for p in route.left_out
        ]
        skipped += [{"provider": p.name, "reason": why} for p, why in route.excluded]
        return {
            "model": model,
            "resolved_model": ctx.model,
            "strategy": self.strategy.name,
            "session_affinity": route.placement is not None,
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
    if ctx.model == model:  # no alias or prefix: the usual case
        return ctx
    return RouteContext(
        model=model, input_tokens=ctx.input_tokens, max_tokens=ctx.max_tokens, session=ctx.session
    )


def _put_first(ordered: list[Provider], name: str) -> list[Provider]:
    first = [p for p in ordered if p.name == name]
    return [*first, *(p for p in ordered if p.name != name)]
