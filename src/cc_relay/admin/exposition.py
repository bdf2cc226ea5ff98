"""The Prometheus side of the metrics: metric families built at scrape time.

``Collector.collect`` turns the tally's counters (``admin/metrics.py``) and a fresh
``holder.snapshot()`` (in flight, circuits, key budgets, config generation, connections)
into metric families. Imported at the first scrape only (``Metrics.render``): a relay
nobody scrapes never loads prometheus_client, about 1 MB of its memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from cc_relay.admin.metrics import CIRCUIT_VALUES, Histogram, Tally

if TYPE_CHECKING:
    from cc_relay.holder import RuntimeHolder
    from cc_relay.state import StateView
    from cc_relay.views import ConnectionsView

CONTENT_TYPE = CONTENT_TYPE_LATEST


def registry(holder: RuntimeHolder, tally: Tally) -> CollectorRegistry:
    """A registry of its own per relay, so many relays can live in one process (tests)."""
    made = CollectorRegistry(auto_describe=False)
    made.register(Collector(holder, tally))
    return made


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


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
