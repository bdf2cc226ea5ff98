"""The Runtime: everything built from one config, reached through one object.

Handlers take ``app[RUNTIME_KEY]`` once per request, so a reload can swap in a new
Runtime without a request ever seeing half of each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import TracebackType

from cc_relay import providers as provider_types
from cc_relay.config import RelayConfig
from cc_relay.providers import ModelInfo, Provider
from cc_relay.routing import Router, strategies

log = logging.getLogger("cc_relay.runtime")

#: How long a provider's discovered model list is trusted.
MODEL_LIST_TTL = 300.0


class Runtime:
    """Providers with open sessions, the router, and the model catalog."""

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.providers: list[Provider] = [provider_types.create(p) for p in config.providers]
        self.router = Router(self.providers, strategies.create(config.routing.strategy))
        self.auth_keys = [key.encode() for key in config.server.auth]
        self._models_fetched = 0.0
        self._started = False

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def start(self) -> None:
        if self._started:
            raise RuntimeError("runtime already started")
        self._started = True
        for provider in self.providers:
            await provider.start()

    async def close(self) -> None:
        """Close every provider session, even when one of them fails."""
        results = await asyncio.gather(*(p.close() for p in self.providers),
                                       return_exceptions=True)
        for provider, result in zip(self.providers, results, strict=True):
            if isinstance(result, Exception):
                log.warning("closing provider %r failed: %s", provider.name, result)

    @property
    def enabled(self) -> list[Provider]:
        return self.router.providers

    async def models(self) -> list[ModelInfo]:
        """Every model of every enabled provider, configured first, one entry per id."""
        await self.refresh_models()
        seen: dict[str, ModelInfo] = {}
        for provider in self.enabled:
            for model_id in provider.config.listed_models:
                seen.setdefault(model_id, ModelInfo(id=model_id, display_name=model_id))
            for info in provider.discovered:
                seen.setdefault(info.id, info)
        return list(seen.values())

    async def refresh_models(self, *, force: bool = False) -> None:
        """Ask providers that can list models, at most once per MODEL_LIST_TTL."""
        now = time.monotonic()
        if not force and self._models_fetched and now - self._models_fetched < MODEL_LIST_TTL:
            return
        self._models_fetched = now
        results = await asyncio.gather(*(p.discover() for p in self.enabled),
                                       return_exceptions=True)
        for provider, result in zip(self.enabled, results, strict=True):
            if isinstance(result, BaseException):
                log.info("provider %r did not list its models: %s", provider.name,
                         type(result).__name__)
            else:
                provider.discovered = result
