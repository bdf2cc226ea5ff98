"""Prometheus metrics: counted by an event subscriber, read from the read model at scrape.

Nothing here runs on the request path. ``Tally.observe`` is an event-stream subscriber
that adds to plain dicts (counters, histogram buckets); ``Collector.collect`` turns
those, and a fresh ``holder.snapshot()`` (in flight, circuits, key budgets, config
generation), into metric families when ``/metrics`` is scraped. Each relay has its own
``CollectorRegistry``, so many relays can live in one process (the tests).

Labels are bounded: ``key`` is a fingerprint; a model that no provider lists, no alias
names and the catalog does not know is counted as ``other``; no session or user labels.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from cc_relay.admin.requests import RECORDED_PATHS, status_class
from cc_relay.catalog import known_models
from cc_relay.events import AttemptFinished, ConfigReloaded, Event, RequestSettled
from cc_relay.holder import RuntimeHolder
from cc_relay.runtime import Runtime
from cc_relay.state import StateView
from cc_relay.views import ConnectionsView

#: Request durations and times to first token, seconds (LLM answers take long).
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
#: Seconds between rebuilding the set of known model ids (models are discovered late).
KNOWN_MODELS_TTL = 30.0
OTHER = "other"
CIRCUIT_VALUES = {"closed": 0, "half_open": 1, "open": 2}
TOKEN_TYPES = ("input", "output", "cache_read", "cache_write")


@dataclass(slots=True)
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, value)] += 1
        self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        cumulative = 0
        out: list[tuple[str, float]] = []
        for bound, count in zip((*BUCKETS, float("inf")), self.counts, strict=True):
            cumulative += count
            out.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
        return out


class Tally:
    """The counting subscriber; see the module docstring."""

    def __init__(self, holder: RuntimeHolder) -> None:
        self._holder = holder
        self.requests: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        self.tokens: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        self.cost: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.duration: defaultdict[tuple[str, str], Histogram] = defaultdict(Histogram)
        self.ttft: defaultdict[tuple[str, str], Histogram] = defaultdict(Histogram)
        self.attempts: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.failovers: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        self.reloads: defaultdict[str, int] = defaultdict(int)
        self._failed: dict[str, tuple[str, str]] = {}
        """Request id -> (provider, reason) of its last failed attempt."""
        self._models: frozenset[str] = frozenset()
        self._models_of: tuple[Runtime | None, float] = (None, 0.0)

    def observe(self, batch: Sequence[Event]) -> None:
        for event in batch:
            if isinstance(event, AttemptFinished):
                self._attempt(event)
            elif isinstance(event, RequestSettled):
                self._failed.pop(event.request_id, None)
                if event.path in RECORDED_PATHS:
                    self._settled(event)
            elif isinstance(event, ConfigReloaded):
                self.reloads["success" if event.ok else "failure"] += 1

    def _attempt(self, event: AttemptFinished) -> None:
        outcome = _outcome(event)
        self.attempts[event.provider, outcome] += 1
        before = self._failed.get(event.request_id)
        if before is not None and before[0] != event.provider:
            self.failovers[before[0], event.provider, before[1]] += 1
        if event.error is None:
            self._failed.pop(event.request_id, None)
        else:
            self._failed[event.request_id] = (event.provider, outcome)

    def _settled(self, event: RequestSettled) -> None:
        provider = event.provider or "none"
        model = self._model(event.client_model)
        self.requests[provider, model, status_class(event.status)] += 1
        self.duration[provider, model].observe(event.latency)
        if event.stream and event.ttfb is not None:
            self.ttft[provider, model].observe(event.ttfb)
        usage = event.usage
        for kind, count in zip(
            TOKEN_TYPES,
            (
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_input_tokens,
                usage.cache_creation_input_tokens,
            ),
            strict=True,
        ):
            if count:
                self.tokens[provider, model, kind] += count
        if event.provider is not None:
            cost = self._holder.cost_of(event)
            if cost:
                self.cost[provider, model] += cost

    def _model(self, model: str | None) -> str:
        if not model:
            return OTHER
        runtime, built = self._models_of
        now = time.monotonic()
        if runtime is not self._holder.current or now - built > KNOWN_MODELS_TTL:
            self._models = _known_ids(self._holder.current)
            self._models_of = (self._holder.current, now)
        return model if model in self._models else OTHER


def _known_ids(runtime: Runtime) -> frozenset[str]:
    ids = {m for m in runtime.router.known_models() if not any(c in m for c in "*?[")}
    for provider in runtime.enabled:
        ids.update(info.id for info in known_models(provider))
    return frozenset(ids)


def _outcome(event: AttemptFinished) -> str:
    """``ok``, a failure phase, or ``status_<code>`` for the statuses that matter."""
    if event.error is None:
        return "ok"
    if event.error == "status" and event.status is not None:
        return (
            f"status_{event.status}"
            if event.status in (429, 529)
            else f"status_{event.status // 100}xx"
        )
    return event.error


class Collector:
    """Metric families from the tally and the read model, built at scrape time."""

    def __init__(self, holder: RuntimeHolder, tally: Tally) -> None:
        self._holder = holder
        self._tally = tally

    def collect(self) -> Iterator[Metric]:
        t = self._tally
        yield _counter(
            "cc_relay_requests", "Requests answered, by provider, model and status class.",
            ("provider", "model", "status_class"), t.requests,
        )  # fmt: skip
        yield _counter(
            "cc_relay_tokens", "Tokens, by provider, model and type.",
            ("provider", "model", "type"), t.tokens,
        )  # fmt: skip
        yield _counter(
            "cc_relay_cost_usd", "USD spent, from the providers' configured prices.",
            ("provider", "model"), t.cost,
        )  # fmt: skip
        yield _counter(
            "cc_relay_upstream_attempts", "Attempts on upstreams, by outcome.",
            ("provider", "outcome"), t.attempts,
        )  # fmt: skip
        yield _counter(
            "cc_relay_failovers", "Requests moved from one provider to another.",
            ("from", "to", "reason"), t.failovers,
        )  # fmt: skip
        yield _counter(
            "cc_relay_config_reloads", "Config reloads, by result.", ("result",),
            {(k,): v for k, v in t.reloads.items()},
        )  # fmt: skip
        yield _histogram(
            "cc_relay_request_duration_seconds", "Seconds from arrival to the last byte.",
            t.duration,
        )  # fmt: skip
        yield _histogram(
            "cc_relay_time_to_first_token_seconds", "Seconds to the first byte of a stream.",
            t.ttft,
        )  # fmt: skip
        yield from self._gauges()

    def _gauges(self) -> Iterator[Metric]:
        snapshot = self._holder.snapshot()
        inflight = GaugeMetricFamily(
            "cc_relay_inflight_requests", "Attempts in flight.", labels=["provider"]
        )
        circuit = GaugeMetricFamily(
            "cc_relay_circuit_state", "0 closed, 1 half-open, 2 open.", labels=["provider"]
        )
        remaining = GaugeMetricFamily(
            "cc_relay_key_ratelimit_remaining",
            "What is left of each key's per-minute budget.",
            labels=["provider", "key", "kind"],
        )
        for p in snapshot.providers:
            if p.circuit is None:
                continue
            inflight.add_metric([p.name], p.in_flight)
            circuit.add_metric([p.name], CIRCUIT_VALUES[p.circuit.state])
            for k in p.keys:
                for b in k.buckets:
                    remaining.add_metric([p.name, k.fingerprint, b.kind], b.remaining)
        generation = GaugeMetricFamily(
            "cc_relay_config_generation", "Configs loaded so far; 1 is the first."
        )
        generation.add_metric([], snapshot.status.generation)
        replica = GaugeMetricFamily(
            "cc_relay_replica_info",
            "Always 1; its labels name this replica (state.replica, else host:pid), so that "
            "per-replica series can be joined to the ids fleet views show.",
            labels=["replica", "version"],
        )
        replica.add_metric([self._holder.state.replica, snapshot.status.version], 1.0)
        yield from (inflight, circuit, remaining, generation, replica)
        yield from _state_gauges(snapshot.status.state)
        yield from _connection_metrics(snapshot.status.connections)


def _connection_metrics(view: ConnectionsView | None) -> Iterator[Metric]:
    """Open client connections, and how many requests the front server answered itself
    against connections it gave to aiohttp: a rising hand-over count means clients the
    fast path does not serve."""
    if view is None:
        return
    connections = GaugeMetricFamily("cc_relay_connections_open", "Client connections open.")
    connections.add_metric([], view.open)
    answered = CounterMetricFamily(
        "cc_relay_front_answered", "Requests the front server answered itself."
    )
    answered.add_metric([], view.front_answered)
    handed = CounterMetricFamily(
        "cc_relay_connections_handed_over",
        "Connections the front server gave to aiohttp (another route, unusual framing, "
        "over capacity, draining).",
    )
    handed.add_metric([], view.handed_over)
    yield from (connections, answered, handed)


def _state_gauges(view: StateView | None) -> Iterator[Metric]:
    """The shared-state backend: is Redis answering, how many replicas, how many falls."""
    if view is None:
        return
    connected = GaugeMetricFamily(
        "cc_relay_state_connected",
        "1 while the state backend answers (always 1 for memory).",
        labels=["backend"],
    )
    connected.add_metric([view.backend], 1.0 if view.connected else 0.0)
    replicas = GaugeMetricFamily(
        "cc_relay_state_replicas", "Replicas seen alive through the shared state."
    )
    replicas.add_metric([], view.replicas)
    fallbacks = CounterMetricFamily(
        "cc_relay_state_fallbacks", "Times this replica fell back to local limits."
    )
    fallbacks.add_metric([], view.fallbacks)
    yield from (connected, replicas, fallbacks)


def _counter(
    name: str, doc: str, labels: Sequence[str], values: Mapping[Any, float]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=list(labels))
    for key, value in list(values.items()):
        family.add_metric(list(key), value)
    return family


def _histogram(
    name: str, doc: str, values: dict[tuple[str, str], Histogram]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=["provider", "model"])
    for key, hist in list(values.items()):
        family.add_metric(list(key), hist.buckets(), hist.total)
    return family


class Metrics:
    """A relay's metrics: the tally (subscribed to the holder) and its own registry."""

    def __init__(self, holder: RuntimeHolder) -> None:
        self.tally = Tally(holder)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(Collector(holder, self.tally))
        holder.add_subscriber("metrics", self.tally.observe)

    def render(self) -> bytes:
        return generate_latest(self.registry)
