"""The Runtime: everything built from one config, reached through one object.

Handlers take ``app[RUNTIME_KEY]`` once per request, so a reload can swap in a new
Runtime without a request ever seeing half of each.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from types import TracebackType

from cc_relay import providers as provider_types
from cc_relay.catalog import known_models
from cc_relay.config import RelayConfig
from cc_relay.health import HealthProber, ProbeTarget
from cc_relay.providers import ModelInfo, Provider
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
    """Providers with open sessions, the router, and the model catalog."""

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.providers: list[Provider] = [provider_types.create(p) for p in config.providers]
        self.signatures = SignatureLedger()
        if len({p.family for p in self.providers if p.config.enabled}) > 1:
            # Only a relay that mixes signature families can put a foreign thinking
            # block in front of a provider; otherwise the guard's scan is pure cost.
            for provider in self.providers:
                provider.signatures = self.signatures
        self.router = Router(self.providers, config.routing, aliases=config.aliases)
        self.auth_keys = [key.encode() for key in config.server.auth]
        self._models_fetched = 0.0
        self._started = False
        intervals = [p.config.health_probe.interval for p in self.enabled]
        self.prober = HealthProber(self._probe_targets, interval=min(intervals, default=15.0))

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        if self._started:
            raise RuntimeError("runtime already started")
        self._started = True
        try:
            for provider in self.providers:
                await provider.start()
        except BaseException:
            await self.close()  # the ones that did start hold sessions
            raise
        await self.prober.start()

    async def close(self) -> None:
        """Stop probing, then close every provider session, even when one fails."""
        await self.prober.close()
        results = await asyncio.gather(*(p.close() for p in self.providers), return_exceptions=True)
        for provider, result in zip(self.providers, results, strict=True):
            if isinstance(result, Exception):
                log.warning("closing provider %r failed: %s", provider.name, result)

    def _probe_targets(self) -> list[ProbeTarget]:
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
            if not any(ch in alias for ch in "*?["):
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
        now = time.monotonic()
        if not force and self._models_fetched and now - self._models_fetched < MODEL_LIST_TTL:
            return
        self._models_fetched = now
        results = await asyncio.gather(
            *(p.discover() for p in self.enabled), return_exceptions=True
        )
        for provider, result in zip(self.enabled, results, strict=True):
            if isinstance(result, BaseException):
                log.info(
                    "provider %r did not list its models: %s", provider.name, type(result).__name__
                )
            else:
                provider.discovered = result
