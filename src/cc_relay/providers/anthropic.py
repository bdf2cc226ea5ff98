"""Anthropic's own API, and Z.AI's Anthropic-compatible endpoint (same dialect)."""

from __future__ import annotations

from typing import ClassVar

from cc_relay.config import KeyConfig
from cc_relay.headers import ANTHROPIC_VERSION, DEFAULT_ANTHROPIC_VERSION, X_API_KEY
from cc_relay.providers.base import UNKNOWN_CREATED_AT, ModelInfo, Provider
from cc_relay.types import Credential


class AnthropicProvider(Provider):
    """api.anthropic.com: bytes pass through unchanged, betas and all."""

    passes_client_credentials: ClassVar[bool] = True

    def auth_headers(self, key: KeyConfig | None, client: Credential | None) -> dict[str, str]:
        # A Claude subscription token is the user's own login: it wins over pooled keys,
        # so Pro/Max users keep their plan's limits and billing.
        if client is not None and client.is_oauth:
            return {client.header: client.value}
        return super().auth_headers(key, client)

    async def discover(self) -> tuple[ModelInfo, ...]:
        key = self.config.keys[0].key if self.config.keys else None
        if key is None:
            return ()
        return await self.list_models({X_API_KEY: key})

    async def list_models(self, auth: dict[str, str]) -> tuple[ModelInfo, ...]:
        """The upstream's ``/v1/models``, asked with ``auth`` (a key of ours, or a
        client's own credential when we have none)."""
        data = await self._get_json(
            "/v1/models?limit=1000", {**auth, ANTHROPIC_VERSION: DEFAULT_ANTHROPIC_VERSION}
        )
        return tuple(
            ModelInfo(
                id=item["id"],
                display_name=item.get("display_name") or item["id"],
                created_at=item.get("created_at") or UNKNOWN_CREATED_AT,
            )
            for item in data.get("data", [])
            if isinstance(item, dict) and "id" in item
        )


class ZaiProvider(Provider):
    """Z.AI's GLM models behind an Anthropic-compatible endpoint.

    Z.AI has no count_tokens endpoint and no model list, and it must never receive a
    client's Anthropic credential: only its own keys are sent.
    """

    counts_tokens: ClassVar[bool] = False
    family: ClassVar[str] = "zai"
