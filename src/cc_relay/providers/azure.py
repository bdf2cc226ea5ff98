"""Claude in Microsoft Foundry (Azure AI Foundry): Anthropic's Messages API on Azure.

What differs from api.anthropic.com (Anthropic's "Claude in Microsoft Foundry" page and
the official SDK's ``AnthropicFoundry``):

- Endpoint ``https://{resource}.services.ai.azure.com/anthropic/v1/messages`` (or
  ``base_url`` + ``/v1/messages``); bodies, streams and betas are Anthropic's own.
- ``model`` is the deployment name: client ids map to it through ``model_map``, and the
  relay answers with the client's id.
- Auth: the resource key as ``x-api-key``, the header the SDK says the endpoint
  authenticates with (it also sends ``api-key``, only for backwards compatibility, so the
  relay does not). With ``entra: true``, an Entra ID token from azure-identity (scope
  ``https://ai.azure.com/.default``) as ``Authorization: Bearer``, renewed ahead of expiry
  off the request path. A client's own credential never reaches Azure.
- No Models API and no rate-limit headers. count_tokens: no Foundry page lists
  ``/v1/messages/count_tokens`` (the SDK leaves the method in place but documents nothing),
  so the relay estimates rather than depend on it.
- Azure's gateway answers its own failures Azure-style; those become Anthropic errors.
"""

from __future__ import annotations

from typing import ClassVar

from cc_relay.config import KeyConfig, ProviderConfig
from cc_relay.errors import ProviderSetupError, TokenError, UpstreamCredentialError
from cc_relay.headers import AUTHORIZATION, upstream_headers
from cc_relay.providers._cloud_errors import to_anthropic
from cc_relay.providers._credentials import TokenCache
from cc_relay.providers._entra import EntraTokens
from cc_relay.providers.base import Provider
from cc_relay.types import RelayRequest, UpstreamAnswer


class AzureProvider(Provider):
    """One Foundry resource, authenticated by key or by Entra ID."""

    counts_tokens: ClassVar[bool] = False

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        if not config.entra and not config.keys:
            raise ProviderSetupError(
                f"provider {self.name!r} (azure) needs keys, or "
                "`entra: true` to use Entra ID tokens"
            )
        self._entra = EntraTokens(name=self.name) if config.entra else None
        self._tokens = (
            TokenCache(self._entra.fetch, name=f"provider {self.name!r}")
            if self._entra is not None
            else None
        )

    async def start(self) -> None:
        """With Entra, build the credential first (no azure-identity fails startup)."""
        if self._entra is not None and self.config.enabled:
            await self._entra.open()
        await super().start()
        if self._tokens is not None and self.config.enabled:
            self._tokens.prefetch()

    async def close(self) -> None:
        if self._tokens is not None:
            await self._tokens.close()
        if self._entra is not None:
            await self._entra.close()
        await super().close()

    async def headers(
        self, request: RelayRequest, key: KeyConfig | None, *, url: str, body: bytes
    ) -> dict[str, str]:
        if self._tokens is None:
            return await super().headers(request, key, url=url, body=body)
        headers = upstream_headers(request.headers.items())
        try:
            token = await self._tokens.get()
        except TokenError as exc:
            raise UpstreamCredentialError(str(exc)) from None
        headers[AUTHORIZATION] = f"Bearer {token}"
        return headers

    def error(self, answer: UpstreamAnswer) -> UpstreamAnswer:
        return to_anthropic(answer, upstream="Azure AI Foundry")
