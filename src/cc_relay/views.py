"""The read model: the relay's whole visible state as typed, immutable values.

Every surface renders this one model: ``/v1/providers``, ``cc-relay status``, and the
management service, metrics and dashboards built on it. Nothing outside the core reads
the router's dicts; :func:`snapshot` does, once, and hands out frozen copies.

Health has one vocabulary everywhere: ``healthy`` (circuit closed), ``failing`` (open),
``recovering`` (half-open, trial requests going through) and ``disabled``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cc_relay.health import CircuitBreaker, CircuitState
from cc_relay.state.base import StateView

if TYPE_CHECKING:
    from cc_relay.keypool import KeyPool
    from cc_relay.providers import Provider
    from cc_relay.routing.stats import ProviderStats
    from cc_relay.runtime import Runtime

HEALTH: dict[CircuitState, str] = {
    CircuitState.CLOSED: "healthy",
    CircuitState.OPEN: "failing",
    CircuitState.HALF_OPEN: "recovering",
}


@dataclass(frozen=True, slots=True)
class BucketView:
    kind: str
    """``requests``, ``input_tokens``, ``output_tokens`` or ``tokens``."""
    capacity: int
    """Per-minute limit."""
    remaining: float
    """Level now; negative while real usage above the estimate is paid back."""
    learned: bool
    """The limit came from the upstream's headers rather than config."""


@dataclass(frozen=True, slots=True)
class KeyView:
    fingerprint: str
    priority: int
    weight: float
    in_flight: int
    cooldown_left: float
    """Seconds until a 429 cooldown ends; 0 when none."""
    buckets: tuple[BucketView, ...]
    budget_held_for: float = 0.0
    """Seconds until the key's spent budget starts over; 0 when it is not spent."""


@dataclass(frozen=True, slots=True)
class CircuitView:
    state: str
    """``closed``, ``open`` or ``half_open``."""
    consecutive_failures: int
    retry_in: float | None
    """Seconds until an open circuit lets a trial through."""
    cause: str | None
    """The failure that last moved it."""


@dataclass(frozen=True, slots=True)
class Percentiles:
    p50: float | None
    p95: float | None
    """Seconds, over the last minute; None without samples."""
    counts: tuple[int, ...] = ()
    """The same samples per ``routing.stats.HISTOGRAM_BOUNDS`` bucket (empty without
    samples): what a fleet view adds up across replicas."""


@dataclass(frozen=True, slots=True)
class ProviderView:
    name: str
    type: str
    base_url: str
    enabled: bool
    overridden: bool
    """``enabled`` was set by the operator, not by the file."""
    health: str
    circuit: CircuitView | None
    """None for a disabled provider."""
    in_flight: int
    requests: int
    errors: int
    requests_per_second: float
    """Answered requests per second over the last minute."""
    latency: Percentiles
    ttfb: Percentiles
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    affinity_hits: int
    models: tuple[str, ...]
    model_patterns: tuple[str, ...]
    keys: tuple[KeyView, ...]


@dataclass(frozen=True, slots=True)
class RoutingView:
    strategy: str
    session_affinity: bool
    sessions: int
    """Sessions currently pinned to a provider and key."""
    aliases: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ReloadView:
    at: float
    """Wall-clock seconds."""
    ok: bool
    error: str | None
    changes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RelayStatus:
    version: str
    started_at: float
    uptime: float
    listen: str
    grpc_listen: str
    """The admin gRPC address bound; empty when it is off."""
    config_path: str | None
    generation: int
    config_hash: str
    last_reload: ReloadView | None
    requests: int
    errors: int
    in_flight: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    """From the providers' configured prices; 0 where none is."""
    events_dropped: int
    """Events some subscriber missed because it fell behind."""
    ledger: LedgerView | None = None
    """The usage ledger's writer; None while it is off."""
    state: StateView | None = None
    """The shared-state backend (``cc_relay.state``): memory or Redis, and its health."""
    connections: ConnectionsView | None = None
    """None until the listener is up."""


@dataclass(frozen=True, slots=True)
class ConnectionsView:
    """The listener's client connections, and which server answers them."""

    open: int
    """Client connections open now, on either server."""
    front_answered: int
    """Requests the front server (``cc_relay.front``) answered itself since start."""
    handed_over: int
    """Connections the front server gave to aiohttp (another route, unusual framing,
    over capacity, draining) since start; each stays there until it closes."""


@dataclass(frozen=True, slots=True)
class LedgerView:
    path: str
    written: int
    """Rows committed since start."""
    unwritten: int
    """Rows waiting for a retry because writes fail (disk full, file locked...)."""
    dropped: int
    """Rows lost because writes kept failing and the backlog filled up."""
    error: str | None
    """Why writes fail now; None while they work."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    status: RelayStatus
    providers: tuple[ProviderView, ...]
    routing: RoutingView


def provider_views(
    runtime: Runtime, overrides: Mapping[str, bool] | None = None
) -> tuple[ProviderView, ...]:
    router = runtime.router
    overridden = overrides or {}
    return tuple(
        _provider(
            p,
            router.breakers.get(p.name),
            router.stats.get(p.name),
            router.pools.get(p.name),
            overridden=p.name in overridden,
        )
        for p in runtime.providers
    )


@dataclass(frozen=True, slots=True)
class ModelView:
    id: str
    display_name: str
    created_at: str
    providers: tuple[str, ...]
    """Enabled providers that would take a request for this id, in config order."""


async def model_views(runtime: Runtime) -> tuple[ModelView, ...]:
    """What ``/v1/models`` lists, each with the providers serving it."""
    router = runtime.router
    views = []
    for info in await runtime.models():
        found = router.candidates(info.id)
        views.append(
            ModelView(
                info.id, info.display_name, info.created_at, tuple(p.name for p in found.serving)
            )
        )
    return tuple(views)


def routing_view(runtime: Runtime) -> RoutingView:
    router = runtime.router
    return RoutingView(
        strategy=router.strategy.name,
        session_affinity=router.config.session_affinity,
        sessions=len(router.affinity),
        aliases=tuple(runtime.config.aliases.items()),
    )


def _provider(
    p: Provider,
    breaker: CircuitBreaker | None,
    stats: ProviderStats | None,
    pool: KeyPool | None,
    *,
    overridden: bool,
) -> ProviderView:
    models = (
        *p.config.listed_models,
        *(m.id for m in p.discovered if m.id not in p.config.listed_models),
    )
    if breaker is None or stats is None or pool is None:
        return ProviderView(
            name=p.name, type=p.config.type, base_url=p.base_url, enabled=False,
            overridden=overridden, health="disabled", circuit=None, in_flight=0, requests=0,
            errors=0, requests_per_second=0.0, latency=Percentiles(None, None),
            ttfb=Percentiles(None, None), input_tokens=0, output_tokens=0,
            cache_read_tokens=0, affinity_hits=0, models=models,
            model_patterns=p.config.model_patterns, keys=(),
        )  # fmt: skip
    state = breaker.state
    retry_at = breaker.retry_at()
    latency = stats.latency.percentiles(0.5, 0.95)
    ttfb = stats.ttfb.percentiles(0.5, 0.95)
    return ProviderView(
        name=p.name,
        type=p.config.type,
        base_url=p.base_url,
        enabled=True,
        overridden=overridden,
        health=HEALTH[state],
        circuit=CircuitView(
            state=state.value,
            consecutive_failures=breaker.snapshot()["consecutive_failures"],
            retry_in=None if retry_at is None else max(0.0, retry_at - time.monotonic()),
            cause=breaker.cause,
        ),
        in_flight=stats.in_flight,
        requests=stats.requests,
        errors=stats.errors,
        requests_per_second=round(stats.latency.rate(), 3),
        latency=Percentiles(latency[0], latency[1], stats.latency.histogram()),
        ttfb=Percentiles(ttfb[0], ttfb[1], stats.ttfb.histogram()),
        input_tokens=stats.input_tokens,
        output_tokens=stats.output_tokens,
        cache_read_tokens=stats.cache_read_tokens,
        affinity_hits=stats.affinity_hits,
        models=models,
        model_patterns=p.config.model_patterns,
        keys=tuple(
            KeyView(
                fingerprint=k.fingerprint,
                priority=k.priority,
                weight=k.weight,
                in_flight=k.in_flight,
                cooldown_left=round(k.cooldown_left, 3),
                buckets=tuple(
                    BucketView(name, b.limit, round(b.remaining, 3), b.learned)
                    for name, b in k.buckets.items()
                ),
                budget_held_for=round(k.budget_held_for, 3),
            )
            for k in pool.snapshot()
        ),
    )
