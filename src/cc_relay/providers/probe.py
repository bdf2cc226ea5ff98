"""A cheap real request that says whether a provider is up, for the health prober.

It goes through the provider's own hooks (URL, auth, body), so it checks what user
requests need: a 1-token message by default, or count_tokens where the provider has
it and the config asks for it. Any answer below 500 except 408 and 429 means the
provider is up: a 400 for the probe's own sake still proves the service answers.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from cc_relay.headers import ANTHROPIC_VERSION, CONTENT_TYPE, DEFAULT_ANTHROPIC_VERSION
from cc_relay.providers.base import Provider
from cc_relay.types import RelayRequest

#: A model each provider type certainly knows, when the config names none.
DEFAULT_PROBE_MODELS = {
    "anthropic": "claude-haiku-4-5",
    "bedrock": "claude-haiku-4-5",
    "vertex": "claude-haiku-4-5",
    "azure": "claude-haiku-4-5",
    "zai": "glm-4.5-air",
}
_DOWN = frozenset({408, 429})


def probe_model(provider: Provider) -> str | None:
    """The model to probe with, or None when there is no way to pick one."""
    config = provider.config
    if config.health_probe.model:
        return config.health_probe.model
    if config.listed_models:
        return config.listed_models[0]
    if provider.discovered:
        return provider.discovered[0].id
    return DEFAULT_PROBE_MODELS.get(config.type)


async def probe(provider: Provider, model: str, *, timeout: float) -> bool:
    """True when the provider answered like a live service."""
    count = provider.config.health_probe.kind == "count_tokens" and provider.counts_tokens
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "ping"}]}
    if not count:
        body["max_tokens"] = 1
    headers = CIMultiDictProxy(
        CIMultiDict(
            {CONTENT_TYPE: "application/json", ANTHROPIC_VERSION: DEFAULT_ANTHROPIC_VERSION}
        )
    )
    request = RelayRequest(
        id="probe",
        path="/v1/messages/count_tokens" if count else "/v1/messages",
        query="",
        headers=headers,
        raw=orjson.dumps(body),
        body=body,
        model=model,
        stream=False,
    )
    upstream = provider.upstream_model(model)
    url = provider.url(request, upstream)
    data = provider.body(request, upstream)
    key = provider.config.keys[0] if provider.config.keys else None
    sent = await provider.headers(request, key, url=url, body=data)
    async with provider.session.post(
        url, data=data, headers=sent, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as resp:
        await resp.read()
        return resp.status < 500 and resp.status not in _DOWN
