"""The Runtime: everything built from one config, reached through one object.

Handlers take the current Runtime from the holder (``cc_relay.holder``) once per
request, so a reload swaps in a new Runtime without a request ever seeing half of
each. A new Runtime inherits state from the one it replaces, by identity:

- a provider whose connection settings (``ProviderConfig.connection``) did not change is
  the same object, with its open session, credentials and discovered models, and the
  router keeps its circuit and counters;
- a key (provider name + fingerprint) keeps its buckets, learned limits and cooldown;
- sessions stay where they were; the thinking-signature ledger is shared.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time

from cc_relay import providers as provider_types
from cc_relay.catalog import known_models
from cc_relay.config import ClientKey, RelayConfig, is_pattern
from cc_relay.health import DEFAULT_PROBE_INTERVAL, OnChange, ProbeTarget
from cc_relay.observability.redact import fingerprint
from cc_relay.providers import ModelInfo, Provider
from cc_relay.providers.base import discover_all
from cc_relay.providers.probe import probe, probe_model
from cc_relay.routing import Router
from cc_relay.routing.resolve import discovery_id
from cc_relay.thinking import SignatureLedger

log = logging.getLogger("cc_relay.runtime")

#: How long a provider's discovered model list is trusted.
MODEL_LIST_TTL = 300.0
#: Seconds a health probe may take before it counts as a failure.
PROBE_TIMEOUT = 10.0


class Runtime:
    """Providers with open sessions, the router, and the model catalog.

    Args:
        config: what to build.
        previous: the Runtime this one replaces (see the module docstring).
        on_circuit_change: given to every new circuit breaker.
    """

    def __init__(
        self,
        config: RelayConfig,
        *,
        previous: Runtime | None = None,
        on_circuit_change: OnChange | None = None,
    ) -> None:
        self.config = config
        reusable = previous._reusable(config) if previous is not None else {}
        self.providers: list[Provider] = []
        for entry in config.providers:
            provider = reusable.get(entry.name)
            if provider is None:
                provider = provider_types.create(entry)
            else:
                provider.config = entry  # same connection; models, weights, ... may differ
            self.providers.append(provider)
        self._fresh = [p for p in self.providers if p not in reusable.values()]
        self.signatures: SignatureLedger = (
            previous.signatures if previous is not None else SignatureLedger()
        )
        mixed = len({p.family for p in self.providers if p.config.enabled}) > 1
        for provider in self.providers:
            # Only a relay that mixes signature families can put a foreign thinking
            # block in front of a provider; otherwise the guard's scan is pure cost.
            provider.signatures = self.signatures if mixed else None
        self.router: Router = Router(
            self.providers,
            config.routing,
            aliases=config.aliases,
            previous=previous.router if previous is not None else None,
            on_circuit_change=on_circuit_change,
        )
        self.auth_keys = [key.encode() for key in config.server.auth_keys]
        self.clients: tuple[tuple[str, ClientKey], ...] = tuple(
            (fingerprint(client.key), client) for client in config.server.auth
        )
        """Each relay key's fingerprint and entry, by the index ``authenticate`` returns."""
        self._models_fetched: float = (
            previous._models_fetched if previous is not None and not self._fresh else 0.0
        )
        # Callers that arrive while the providers are being asked wait for that answer
        # instead of taking the lists as they were before it.
        self._models_lock = asyncio.Lock()
        self.users = 0
        """Requests being served on this Runtime (see ``RuntimeHolder.using``)."""
        self._started = False

    @staticmethod
    def key_fingerprint(key: str) -> str:
        return fingerprint(key)

    def hold_key(self, provider: str, key: str, until: float | None) -> bool:
        """Keep a provider key (by fingerprint) out of use until Unix time ``until``, its
        spent budget's reset, or back in use with None. False when there is no such key."""
        pool = self.router.pools.get(provider)
        if pool is None:
            return False
        held = -math.inf if until is None else time.monotonic() + (until - time.time())
        return pool.hold_until(key, held)

    def _reusable(self, config: RelayConfig) -> dict[str, Provider]:
        """This Runtime's providers that ``config`` keeps with the same connection."""
        mine = {p.name: p for p in self.providers}
        return {
            entry.name: mine[entry.name]
            for entry in config.providers
            if entry.name in mine and mine[entry.name].config.connection == entry.connection
        }

    async def start(self) -> None:
        """Open the sessions of the providers this Runtime did not inherit."""
        if self._started:
            raise RuntimeError("runtime already started")
        self._started = True
        started: list[Provider] = []
        try:
            for provider in self._fresh:
                await provider.start()
                started.append(provider)
        except BaseException:
            await close_providers(started)  # the ones that did start hold sessions
            raise

    async def close(self) -> None:
        """Close every provider session, even when one fails."""
        await close_providers(self.providers)

    async def close_orphans(self, successor: Runtime) -> None:
        """Close the providers ``successor`` did not take over."""
        await close_providers([p for p in self.providers if p not in successor.providers])

    def probe_targets(self) -> list[ProbeTarget]:
        targets = []
        for provider in self.enabled:
            model = probe_model(provider)
            if provider.config.health_probe.enabled and model is not None:
                targets.append(
                    ProbeTarget(
                        provider.name,
                        self.router.breakers[provider.name],
                        functools.partial(probe, provider, model, timeout=PROBE_TIMEOUT),
                    )
                )
        return targets

    @property
    def probe_interval(self) -> float:
        intervals = [p.config.health_probe.interval for p in self.enabled]
        return min(intervals, default=DEFAULT_PROBE_INTERVAL)

    @property
    def enabled(self) -> list[Provider]:
        return self.router.providers

    async def models(self) -> list[ModelInfo]:
        """Every model of every enabled provider, configured first, one entry per id;
        then the aliases; then, when asked for, non-Claude models under the prefix
        Claude Code's picker keeps."""
        await self.refresh_models()
        seen: dict[str, ModelInfo] = {}
        owners: dict[str, str] = {}
        for provider in self.enabled:
            infos = [ModelInfo(id=m, display_name=m) for m in provider.config.listed_models]
            for info in [*infos, *provider.discovered, *known_models(provider)]:
                seen.setdefault(info.id, info)
                owners.setdefault(info.id, provider.name)
        for alias, target in self.config.aliases.items():
            if not is_pattern(alias):
                seen.setdefault(alias, ModelInfo(id=alias, display_name=f"{alias} ({target})"))
        if self.config.routing.prefix_non_claude_models:
            for model_id, owner in owners.items():
                if not model_id.startswith(("claude", "anthropic")):
                    prefixed = discovery_id(owner, model_id)
                    seen.setdefault(
                        prefixed,
                        ModelInfo(
                            id=prefixed,
                            display_name=f"{seen[model_id].display_name} ({owner})",
                            created_at=seen[model_id].created_at,
                        ),
                    )
        return list(seen.values())

    async def refresh_models(self, *, force: bool = False) -> None:
        """Ask providers that can list models, at most once per MODEL_LIST_TTL."""
        async with self._models_lock:
            now = time.monotonic()
            fresh = self._models_fetched and now - self._models_fetched < MODEL_LIST_TTL
            if fresh and not force:
                return
            self._models_fetched = now
            await discover_all(self.enabled, lambda p: p.discover(), whose="")


async def close_providers(providers: list[Provider]) -> None:
    results = await asyncio.gather(*(p.close() for p in providers), return_exceptions=True)
    for provider, result in zip(providers, results, strict=True):
        if isinstance(result, Exception):
            log.warning("closing provider %r failed: %s", provider.name, result)
