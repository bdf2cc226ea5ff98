"""The provider interface: one configured upstream and its wire dialect.

A provider knows its URL, its auth, and how to adapt a request body and read its model
list; it knows nothing about routing or key selection. Subclasses override the hooks
(`auth_headers`, `adapt_body`, `discover`) and set the class attributes.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp
import orjson

from cc_relay import http1
from cc_relay.config import KeyConfig, ProviderConfig, model_matches
from cc_relay.headers import AUTHORIZATION, X_API_KEY, upstream_headers
from cc_relay.sse import EventCutter, StreamDecoder
from cc_relay.thinking import SignatureLedger, guard_thinking, may_hold_thinking
from cc_relay.types import Credential, RelayRequest, UpstreamAnswer

log = logging.getLogger("cc_relay.providers")

#: How long a model-list call may take before the relay answers without it.
DISCOVERY_TIMEOUT = 3.0
#: ``created_at`` for models whose upstream does not say.
UNKNOWN_CREATED_AT = "1970-01-01T00:00:00Z"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model as ``GET /v1/models`` shows it."""

    id: str
    display_name: str
    created_at: str = UNKNOWN_CREATED_AT


class Provider:
    """One upstream from the config, with its own pooled HTTP session."""

    #: Has a native ``/v1/messages/count_tokens``; otherwise the relay estimates.
    counts_tokens: ClassVar[bool] = True
    #: Accepts a client's own Anthropic credential (API key or subscription token).
    passes_client_credentials: ClassVar[bool] = False
    #: Whose thinking signatures this provider issues and accepts.
    family: ClassVar[str] = "anthropic"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.name = config.name
        self.base_url = config.url
        self._discovered: tuple[ModelInfo, ...] = ()
        self.discovery_round = 0
        """Bumped each time ``discovered`` changes, so what was worked out from the old
        list (the router's cached candidates) knows it is stale."""
        self._session: aiohttp.ClientSession | None = None
        self._client: http1.Client | http1.AiohttpClient | None = None
        self.signatures: SignatureLedger | None = None
        """Shared across providers by the Runtime; None leaves thinking blocks alone."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.base_url}>"

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError(f"provider {self.name!r} is not started")
        return self._session

    @property
    def client(self) -> http1.Client | http1.AiohttpClient:
        """The client for user requests: the lean HTTP/1.1 one, or aiohttp's where it does
        not fit (a proxy applies, an unusual URL); see ``cc_relay.http1.select``."""
        if self._client is None:
            raise RuntimeError(f"provider {self.name!r} is not started")
        return self._client

    async def start(self) -> None:
        """Open the pooled clients. aiohttp's session (raw bytes through, no total
        timeout, no automatic User-Agent) serves model discovery, probes, and user
        requests whenever the lean client does not fit."""
        if self._session is not None:
            raise RuntimeError(f"provider {self.name!r} is already started")
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None, connect=self.config.timeouts.connect),
            skip_auto_headers=("User-Agent",),
        )
        self._client = http1.open_client(
            self.base_url,
            session=self._session,
            environ=os.environ,
            config=http1.ClientConfig(connect_timeout=self.config.timeouts.connect),
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._session is not None:
            await self._session.close()

    # -- routing facts -----------------------------------------------------------------

    @property
    def discovered(self) -> tuple[ModelInfo, ...]:
        """The models the upstream listed, as last asked (``refresh_models``)."""
        return self._discovered

    @discovered.setter
    def discovered(self, models: tuple[ModelInfo, ...]) -> None:
        self._discovered = models
        self.discovery_round += 1

    def serves(self, model: str) -> bool:
        """Listed, mapped, matched by a pattern, or discovered from the upstream."""
        return (
            model in self.config.model_map
            or model_matches(model, self.config.model_patterns)
            or any(info.id == model for info in self.discovered)
        )

    def upstream_model(self, model: str) -> str:
        return self.config.model_map.get(model, model)

    # -- wire ---------------------------------------------------------------------------

    def url(self, request: RelayRequest, upstream_model: str) -> str:
        query = f"?{request.query}" if request.query else ""
        return f"{self.base_url}{request.path}{query}"

    async def headers(
        self, request: RelayRequest, key: KeyConfig | None, *, url: str, body: bytes
    ) -> dict[str, str]:
        """Headers for one attempt. Async, and given the final URL and body, so that
        providers can refresh tokens or sign the request."""
        headers = upstream_headers(request.headers.items())
        headers.update(self.auth_headers(key, request.credential))
        return headers

    def auth_headers(self, key: KeyConfig | None, client: Credential | None) -> dict[str, str]:
        """Default: the provider's key as ``x-api-key``; a client's own credential only
        where the provider accepts one and has no key of its own."""
        if key is not None:
            return {X_API_KEY: key.key}
        if client is not None and self.passes_client_credentials:
            return {client.header: client.value}
        return {}

    def body(self, request: RelayRequest, upstream_model: str) -> bytes:
        """The bytes to send: the client's own, unless the dialect, the model name or
        foreign thinking blocks make a difference."""
        # Only dialects that adapt bodies make the request build its parsed tree.
        adapted = (
            self.adapt_body(request.body)
            if type(self).adapt_body is not Provider.adapt_body
            else None
        )
        guarded = self.guard_thinking(request, adapted)
        adapted = guarded if guarded is not None else adapted
        if adapted is None and upstream_model == request.model:
            return request.raw
        body = dict(adapted if adapted is not None else request.body)
        self.place_model(body, request, upstream_model)
        return orjson.dumps(body)

    def place_model(self, body: dict[str, Any], request: RelayRequest, upstream_model: str) -> None:
        """Name the upstream model in a body about to be sent: its ``model`` field, or
        nowhere for dialects that name the model in the URL (Vertex, Bedrock)."""
        body["model"] = upstream_model

    def guard_thinking(
        self, request: RelayRequest, body: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """A copy of ``body`` (default: the request's) with thinking blocks foreign to this
        provider's family dropped, or None when it needs no change. Every dialect's body
        goes through here, whatever else it rewrites."""
        if self.signatures is None or not may_hold_thinking(request.raw):
            return None
        return guard_thinking(
            body if body is not None else request.body, self.family, self.signatures
        )

    def remember_signature(self, signature: str) -> None:
        """Note that this provider's family issued ``signature``."""
        if self.signatures is not None:
            self.signatures.record(signature, self.family)

    def adapt_body(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """A changed copy of the body for this dialect, or None when nothing changes."""
        return None

    # -- answers -----------------------------------------------------------------------

    def is_stream(self, content_type: str) -> bool:
        """Whether a success answer with this content type is a stream to decode."""
        return content_type == "text/event-stream"

    def decoder(self, *, client_model: str | None) -> StreamDecoder:
        """A fresh decoder for one streamed answer; ``client_model`` replaces the
        upstream's model name in ``message_start`` when set."""
        return EventCutter(client_model=client_model, on_signature=self.remember_signature)

    def whole(self, body: bytes) -> bytes:
        """A non-streamed success answer as Anthropic JSON (unchanged for Anthropic)."""
        return body

    def error(self, answer: UpstreamAnswer) -> UpstreamAnswer:
        """An upstream error answer in Anthropic's shape (unchanged for Anthropic)."""
        return answer

    async def discover(self) -> tuple[ModelInfo, ...]:
        """Ask the upstream which models it has; () when it cannot say."""
        return ()

    async def _get_json(self, path: str, headers: dict[str, str]) -> Any:
        timeout = aiohttp.ClientTimeout(total=DISCOVERY_TIMEOUT)
        async with self.session.get(
            f"{self.base_url}{path}", headers=headers, timeout=timeout
        ) as resp:
            resp.raise_for_status()
            return orjson.loads(await resp.read())


def bearer(value: str) -> dict[str, str]:
    return {AUTHORIZATION: f"Bearer {value}"}


async def discover_all(
    providers: Sequence[Provider],
    listing: Callable[[Provider], Awaitable[tuple[ModelInfo, ...]]],
    *,
    whose: str,
) -> None:
    """Ask each provider for its models at once; each that answers keeps its list as
    ``discovered``, each that fails is logged (``whose`` says for whom it was asked)."""
    results = await asyncio.gather(*(listing(p) for p in providers), return_exceptions=True)
    for provider, result in zip(providers, results, strict=True):
        if isinstance(result, BaseException):
            log.info(
                "provider %r did not list its models%s: %s",
                provider.name,
                whose,
                type(result).__name__,
            )
        else:
            provider.discovered = result
