"""Claude on Google Vertex AI: Anthropic's Messages API behind Google's ``rawPredict``.

What differs from api.anthropic.com (Anthropic's "Claude on Vertex AI" page, Google's
partner-model pages, and the official SDK's ``AnthropicVertex``):

- The model is named in the URL, not the body:
  ``{base}/v1/projects/{p}/locations/{region}/publishers/anthropic/models/{model}:rawPredict``,
  ``:streamRawPredict`` when the request streams; ``stream`` stays in the body.
- ``anthropic_version: "vertex-2023-10-16"`` goes in the body instead of the header.
- count_tokens is ``.../publishers/anthropic/models/count-tokens:rawPredict``, and there
  the body keeps ``model`` (Google's page: "the body must contain the model ID").
- Betas travel in the ``anthropic-beta`` header, as the Vertex SDKs send them. ``oauth-*``
  values are dropped: the relay never forwards a client's OAuth credential, so that beta
  means nothing to Vertex, which refuses betas it does not know.
- Auth is a Google OAuth access token (cloud-platform scope) from google-auth, renewed
  ahead of expiry off the request path; a client's own credential never reaches Google.
- Model ids name versions with ``@`` (``claude-sonnet-4-5@20250929``). ``model_map`` wins;
  otherwise an Anthropic dated id (``claude-sonnet-4-5-20250929``) becomes the ``@`` form,
  and any other id (``claude-opus-4-8``) passes unchanged, as Vertex serves newer models
  under undated ids. Vertex answers with Anthropic's name for the model; the relay puts
  back the client's whenever the id it sent differs.
- Google's own errors (quota, auth, unknown model) become Anthropic errors, and Anthropic
  errors passed through by Vertex are kept (see ``_cloud_errors``).
- Hosts: ``{region}-aiplatform.googleapis.com``; ``global`` has no region prefix and the
  multi-regions ``us`` and ``eu`` live at ``aiplatform.{us,eu}.rep.googleapis.com``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, ClassVar
from urllib.parse import quote

from cc_relay.config import KeyConfig, ProviderConfig
from cc_relay.errors import TokenError, UpstreamCredentialError
from cc_relay.headers import (
    ANTHROPIC_BETA,
    ANTHROPIC_VERSION,
    AUTHORIZATION,
    CONTENT_TYPE,
    upstream_headers,
)
from cc_relay.providers._cloud_errors import to_anthropic
from cc_relay.providers._credentials import TokenCache
from cc_relay.providers._google_auth import GoogleCredentials
from cc_relay.providers.base import Provider
from cc_relay.types import RelayRequest, UpstreamAnswer

#: The ``anthropic_version`` Vertex requires in every body.
VERTEX_VERSION = "vertex-2023-10-16"
#: Header naming the project billed for quota, for user credentials that carry one.
QUOTA_PROJECT = "x-goog-user-project"
_MULTI_REGIONS = frozenset({"us", "eu"})
_MULTI_REGION_URL = "https://aiplatform.{region}.rep.googleapis.com"
_DATED = re.compile(r"^(claude-[a-z0-9.-]+?)-(\d{8})$")
_DROPPED_BETA_PREFIX = "oauth-"
_COUNT_TOKENS_SUFFIX = "/count_tokens"


class VertexProvider(Provider):
    """One Vertex AI project and region."""

    counts_tokens: ClassVar[bool] = True

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        region = config.vertex_region
        if not config.base_url and region in _MULTI_REGIONS:
            self.base_url = _MULTI_REGION_URL.format(region=region)
        project = quote(config.project_id or "", safe="")
        self._models_url = (
            f"{self.base_url}/v1/projects/{project}/locations/"
            f"{quote(region, safe='')}/publishers/anthropic/models/"
        )
        self._google = GoogleCredentials(config.credentials_file, name=self.name)
        self._tokens = TokenCache(self._google.fetch, name=f"provider {self.name!r}")

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Load the credentials (a bad file fails startup), then get a first token."""
        if self.config.enabled:
            await asyncio.to_thread(self._google.load)
        await super().start()
        if self.config.enabled:
            self._tokens.prefetch()

    async def close(self) -> None:
        await self._tokens.close()
        self._google.close()
        await super().close()

    # -- wire --------------------------------------------------------------------------

    def upstream_model(self, model: str) -> str:
        mapped = self.config.model_map.get(model)
        if mapped is not None:
            return mapped
        dated = _DATED.match(model)
        return f"{dated[1]}@{dated[2]}" if dated else model

    def url(self, request: RelayRequest, upstream_model: str) -> str:
        # The client's query (``?beta=true``) stays behind: Google rejects unknown
        # parameters, and betas travel in the header.
        if _counting(request):
            return f"{self._models_url}count-tokens:rawPredict"
        method = "streamRawPredict" if request.stream else "rawPredict"
        return f"{self._models_url}{quote(upstream_model, safe='@')}:{method}"

    async def headers(
        self, request: RelayRequest, key: KeyConfig | None, *, url: str, body: bytes
    ) -> dict[str, str]:
        headers = upstream_headers(request.headers.items())
        headers.pop(ANTHROPIC_VERSION, None)
        betas = headers.pop(ANTHROPIC_BETA, None)
        if betas is not None:
            kept = [
                b
                for b in (v.strip() for v in betas.split(","))
                if b and not b.startswith(_DROPPED_BETA_PREFIX)
            ]
            if kept:
                headers[ANTHROPIC_BETA] = ",".join(kept)
        headers[CONTENT_TYPE] = "application/json"
        try:
            token = await self._tokens.get()
        except TokenError as exc:
            raise UpstreamCredentialError(str(exc)) from None
        headers[AUTHORIZATION] = f"Bearer {token}"
        if self._google.quota_project is not None:
            headers[QUOTA_PROJECT] = self._google.quota_project
        return headers

    def adapt_body(self, body: dict[str, Any]) -> dict[str, Any] | None:
        return {
            "anthropic_version": VERTEX_VERSION,
            **{k: v for k, v in body.items() if k != "anthropic_version"},
        }

    def place_model(self, body: dict[str, Any], request: RelayRequest, upstream_model: str) -> None:
        if _counting(request):
            body["model"] = upstream_model
        else:
            body.pop("model", None)

    def error(self, answer: UpstreamAnswer) -> UpstreamAnswer:
        return to_anthropic(answer, upstream="Vertex AI")


def _counting(request: RelayRequest) -> bool:
    return request.path.endswith(_COUNT_TOKENS_SUFFIX)
