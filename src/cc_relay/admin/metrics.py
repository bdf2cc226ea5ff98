"""Prometheus metrics: counted by an event subscriber, read from the read model at scrape.

Nothing here runs on the request path. ``Tally.observe`` is an event-stream subscriber
that adds to plain dicts (counters, histogram buckets); ``admin/exposition.py`` turns
those, and a fresh ``holder.snapshot()`` (in flight, circuits, key budgets, config
generation, connections), into metric families when ``/metrics`` is scraped.

Labels are bounded: ``key`` is a fingerprint; a model that no provider lists, no alias
names and the catalog does not know is counted as ``other``; no session or user labels.
"""

from __future__ import annotations

import asyncio
import bisect
import importlib
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cc_relay.admin.requests import status_class
from cc_relay.catalog import known_models
from cc_relay.events import (
    RECORDED_PATHS,
    AttemptFinished,
    ConfigReloaded,
    Event,
    RequestSettled,
)
from cc_relay.holder import RuntimeHolder
from cc_relay.runtime import Runtime

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

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


class Metrics:
    """A relay's metrics: the tally (subscribed to the holder from the start) and, from
    the first scrape on, its Prometheus registry (``admin/exposition.py``)."""

    def __init__(self, holder: RuntimeHolder) -> None:
        self._holder = holder
        self.tally = Tally(holder)
        self._registry: CollectorRegistry | None = None
        holder.add_subscriber("metrics", self.tally.observe)

    async def render(self) -> tuple[bytes, str]:
        """The text exposition and its content type. prometheus_client is imported at
        the first scrape, on a thread (about 17 ms, kept off the loop): a relay nobody
        scrapes never loads it, about 1 MB."""
        if self._registry is None:
            await asyncio.to_thread(importlib.import_module, "cc_relay.admin.exposition")
        from cc_relay.admin import exposition

        if self._registry is None:
            self._registry = exposition.registry(self._holder, self.tally)
        return exposition.render(self._registry), exposition.CONTENT_TYPE
