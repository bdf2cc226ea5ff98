"""The one holder of the current Runtime, and of what outlives any one Runtime.

Handlers take ``holder.current`` once per request (through :meth:`RuntimeHolder.using`),
so a reload is one assignment: requests in flight finish on the Runtime they started
on, new ones get the new one. The holder also owns what must not restart with a
config: the event bus and its subscribers (access log, statistics, totals), the health
prober, and the bookkeeping the read model shows (generation, last reload, uptime).

A retired Runtime closes the providers its successor did not take over once its last
request ends, or after ``RETIRE_GRACE`` seconds at most.

The holder keeps the config as the file gave it (``config``, what reloads diff and the
admin service shows) apart from what the Runtime runs: the file's config with the
operator's overrides applied (``set_enabled``). An override outlives reloads until the
file itself changes that provider's ``enabled``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from cc_relay import __version__
from cc_relay.config import RelayConfig
from cc_relay.events import (
    RECORDED_PATHS,
    CircuitChanged,
    ConfigReloaded,
    Event,
    EventBus,
    Handler,
    RequestSettled,
    pump,
)
from cc_relay.health import CircuitState, HealthProber
from cc_relay.ledger.service import Ledger
from cc_relay.observability.access import log_events
from cc_relay.routing.stats import observe
from cc_relay.runtime import Runtime
from cc_relay.state import SharedState
from cc_relay.state import create as create_state
from cc_relay.views import (
    ConnectionsView,
    RelayStatus,
    ReloadView,
    Snapshot,
    provider_views,
    routing_view,
)

log = logging.getLogger("cc_relay.runtime")

PriceOf = Callable[[RequestSettled], float]

#: Longest a retired Runtime keeps providers the new config removed, for its streams.
RETIRE_GRACE = 600.0


def config_hash(config: RelayConfig) -> str:
    """A short, stable hash of a config's content (not reversible to any secret in it)."""
    dumped = orjson.dumps(config.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(dumped).hexdigest()[:16]


def with_overrides(config: RelayConfig, overrides: Mapping[str, bool]) -> RelayConfig:
    """``config`` with each named provider's ``enabled`` replaced."""
    if not overrides:
        return config
    providers = tuple(
        p.model_copy(update={"enabled": overrides[p.name]}) if p.name in overrides else p
        for p in config.providers
    )
    return config.model_copy(update={"providers": providers})


@dataclass(slots=True)
class Totals:
    """Relay-wide counters for the status view, kept by an event subscriber."""

    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    """From the configured prices of the provider that answered."""
    price: PriceOf = field(default=lambda _event: 0.0)

    def observe(self, batch: Sequence[Event]) -> None:
        for event in batch:
            if isinstance(event, RequestSettled) and event.path in RECORDED_PATHS:
                self.requests += 1
                self.errors += event.status >= 400
                self.input_tokens += event.usage.input_tokens or 0
                self.output_tokens += event.usage.output_tokens or 0
                if event.provider is not None:
                    self.cost_usd += self.price(event)


class RuntimeHolder:
    """See the module docstring.

    Args:
        config: the first config.
        config_path: the file it came from, if any (shown in the status view).
    """

    def __init__(self, config: RelayConfig, *, config_path: Path | None = None) -> None:
        self.events = EventBus()
        self.config_path = config_path
        self.config = config
        """The config as the file gave it; ``current.config`` has the overrides applied."""
        self.overrides: dict[str, bool] = {}
        """Provider name -> enabled, set by the operator (``set_enabled``)."""
        self.current = Runtime(config, on_circuit_change=self._circuit_changed)
        self.state: SharedState = create_state(config.state)
        """Shared with other replicas (or not); outlives every Runtime, read at start."""
        self.current.router.shared_keys = self.state.keys
        self.current.router.shared_circuits = self.state.circuits
        self.current.router.shared_affinity = self.state.affinity
        self.state.bind(lambda: self.current.router.breakers)
        self.state.share_signatures(self.current.signatures)  # every Runtime inherits it
        self.generation = 1
        self.config_hash = config_hash(config)
        self.last_reload: ReloadView | None = None
        self.started_at = time.time()
        self.listen = ""
        """The address actually bound (``server.listen`` may ask for port 0)."""
        self.grpc_listen = ""
        """The admin gRPC address actually bound; empty when it is off."""
        self.connections: Callable[[], ConnectionsView] | None = None
        """The listener's connection counts, set by the server once it listens."""
        self.totals = Totals(price=self.cost_of)
        self._subscribers: list[tuple[str, Handler]] = [
            ("stats", lambda batch: observe(lambda: self.current.router.stats, batch)),
            ("totals", self.totals.observe),
            ("log", log_events),
        ]
        self._swapping = asyncio.Lock()
        self.ledger = Ledger(config, lambda: self.current)
        """Usage rows, budgets and persisted signatures; outlives every Runtime."""
        self.prober = HealthProber(
            lambda: self.current.probe_targets(), interval=self.current.probe_interval
        )
        if self.state.circuits is not None:
            self.prober.claim = self.state.circuits.claim_trial
        self.state.share_budgets(self.ledger.budgets, self._fleet_spent)
        self._tasks: list[asyncio.Task[None]] = []
        self._retiring: dict[asyncio.Task[None], Runtime] = {}

    def add_subscriber(self, name: str, handler: Handler) -> None:
        """Feed every event from the start on to ``handler`` (call before ``start``)."""
        if self._tasks:
            raise RuntimeError("holder: subscribers are added before it starts")
        self._subscribers.append((name, handler))

    def cost_of(self, event: RequestSettled) -> float:
        """USD for a settled request, priced as the ledger prices it (the config's prices,
        then the built-in table, once per request); 0 when no price is known."""
        return self.ledger.recorder.quote(event).cost or 0.0

    async def start(self) -> None:
        await self.state.start()
        await self.current.start()
        await self.ledger.start()
        self._subscribers.append(("ledger", self.ledger.observe))
        feeds = [(self.events.subscribe(name), handler) for name, handler in self._subscribers]
        self._tasks.append(asyncio.create_task(pump(*feeds), name="events"))
        await self.prober.start()

    async def close(self) -> None:
        """Stop probing, let subscribers finish what was published, close everything."""
        await self.prober.close()
        await self.events.flush()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        retiring = list(self._retiring.items())
        for task, _ in retiring:
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)
        for _, old in retiring:
            await old.close_orphans(self.current)
        await self.ledger.close()
        await self.current.close()
        await self.state.close()

    @contextlib.contextmanager
    def using(self) -> Iterator[Runtime]:
        """The current Runtime, counted as in use until the block ends."""
        runtime = self.current
        runtime.users += 1
        try:
            yield runtime
        finally:
            runtime.users -= 1

    async def swap(self, config: RelayConfig, *, changes: Sequence[str] = ()) -> Runtime:
        """Build a Runtime for ``config`` that inherits from the current one, start it and
        make it current. Raises whatever starting it raised, with nothing swapped."""
        async with self._swapping:
            before = {p.name: p.enabled for p in self.config.providers}
            after = {p.name: p.enabled for p in config.providers}
            # The file has the last word on a provider whose ``enabled`` it changed.
            overrides = {
                name: on
                for name, on in self.overrides.items()
                if before.get(name) == after.get(name)
            }
            new = await self._install(with_overrides(config, overrides))
            self.config = config
            self.overrides = overrides
            self.generation += 1
            self.config_hash = config_hash(config)
            self.reloaded(ok=True, changes=changes)
            return new

    async def set_enabled(self, name: str, enabled: bool) -> None:
        """Take a provider out of routing or put it back, at once and without a reload.

        Raises:
            LookupError: no provider of that name.
            ValueError: it would leave no provider enabled.
        """
        async with self._swapping:
            entry = self.config.provider(name)
            if entry is None:
                raise LookupError(name)
            overrides = {k: v for k, v in self.overrides.items() if k != name}
            if entry.enabled != enabled:
                overrides[name] = enabled
            effective = with_overrides(self.config, overrides)
            if not any(p.enabled for p in effective.providers):
                raise ValueError(f"disabling {name!r} would leave no provider enabled")
            if effective.providers != self.current.config.providers:
                await self._install(effective)
            self.overrides = overrides

    def reset_circuit(self, name: str) -> bool:
        """Close a provider's circuit now; False when it has none (unknown, disabled)."""
        return self.current.router.reset_circuit(name)

    async def _install(self, config: RelayConfig) -> Runtime:
        old = self.current
        new = Runtime(config, previous=old, on_circuit_change=self._circuit_changed)
        await new.start()
        self.ledger.attach(new)
        self.current = new
        self.prober.interval = new.probe_interval
        task = asyncio.create_task(self._retire(old, new), name="runtime:retire")
        self._retiring[task] = old
        task.add_done_callback(self._retiring.pop)
        return new

    def reloaded(self, *, ok: bool, error: str | None = None, changes: Sequence[str] = ()) -> None:
        """Record a reload's outcome for the read model and the event stream."""
        self.last_reload = ReloadView(time.time(), ok, error, tuple(changes))
        self.events.publish(ConfigReloaded(self.generation, ok, error, tuple(changes)))

    async def _retire(self, old: Runtime, new: Runtime) -> None:
        deadline = time.monotonic() + RETIRE_GRACE
        while old.users and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await old.close_orphans(new)

    def _fleet_spent(self, holder: str) -> None:
        """Other replicas' spend raised ``holder``'s: a provider key may be spent now."""
        if holder.startswith("key:"):
            self.ledger.attach(self.current)

    def _circuit_changed(self, name: str, old: CircuitState, new: CircuitState) -> None:
        breaker = self.current.router.breakers.get(name)
        cause = breaker.cause if breaker is not None else None
        self.events.publish(CircuitChanged(name, old.value, new.value, cause))
        self.state.circuit_changed(name, old, new)

    def snapshot(self) -> Snapshot:
        """The read model: status, providers, routing, as frozen values."""
        runtime = self.current
        totals = self.totals
        last = self.last_reload
        status = RelayStatus(
            version=__version__,
            started_at=self.started_at,
            uptime=time.time() - self.started_at,
            listen=self.listen or runtime.config.server.listen,
            grpc_listen=self.grpc_listen,
            config_path=str(self.config_path) if self.config_path else None,
            generation=self.generation,
            config_hash=self.config_hash,
            last_reload=last,
            requests=totals.requests,
            errors=totals.errors,
            in_flight=sum(s.in_flight for s in runtime.router.stats.values()),
            input_tokens=totals.input_tokens,
            output_tokens=totals.output_tokens,
            cost_usd=round(totals.cost_usd, 6),
            events_dropped=sum(s.dropped for s in self.events.subscriptions),
            ledger=self.ledger.view(),
            state=self.state.view(),
            connections=self.connections() if self.connections is not None else None,
        )
        return Snapshot(status, provider_views(runtime, self.overrides), routing_view(runtime))
