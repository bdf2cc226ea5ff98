"""Claude on Amazon Bedrock (``type: bedrock``), behind the relay's Anthropic endpoint.

A request becomes ``POST {endpoint}/model/{modelId}/invoke`` (or
``/invoke-with-response-stream``, or ``/count-tokens``) with the body of `body.py`,
signed with SigV4 or a Bedrock API key (`auth.py`). Only what Bedrock needs is sent:
none of the client's headers cross, so neither its Anthropic credential nor a header
that would spoil the signature can leak through. Answers come back as Anthropic's:
JSON messages unchanged, streams decoded from AWS event-stream frames (`stream.py`),
errors rewritten from Bedrock's ``{"message"}`` shape (`errors.py`), token counts from
``{"inputTokens": N}`` to ``{"input_tokens": N}``.
"""

from __future__ import annotations

import logging
from typing import ClassVar, Final
from urllib.parse import quote

import orjson

from cc_relay import __version__
from cc_relay.config import KeyConfig, ProviderConfig
from cc_relay.headers import ANTHROPIC_BETA, CONTENT_TYPE
from cc_relay.providers.base import Provider
from cc_relay.providers.bedrock.auth import BedrockAuth, host_header
from cc_relay.providers.bedrock.body import (
    count_tokens_body,
    filter_betas,
    header_betas,
    invoke_body,
)
from cc_relay.providers.bedrock.errors import anthropic_error
from cc_relay.providers.bedrock.models import bedrock_model_id, foundation_model_id
from cc_relay.providers.bedrock.stream import EVENTSTREAM_CONTENT_TYPE, BedrockStreamDecoder
from cc_relay.sse import StreamDecoder
from cc_relay.types import RelayRequest, UpstreamAnswer

__all__ = ["BedrockProvider"]

log = logging.getLogger("cc_relay.providers.bedrock")

_COUNT_TOKENS_SUFFIX: Final = "/count_tokens"
_USER_AGENT: Final = f"cc-relay/{__version__}"
_JSON: Final = "application/json"
#: Biggest CountTokens answer worth parsing (``{"inputTokens": N}`` is ~25 bytes).
_SMALL_ANSWER: Final = 256


class BedrockProvider(Provider):
    """Amazon Bedrock's InvokeModel API for Anthropic models."""

    # Bedrock issues the same thinking signatures as Anthropic: blocks move freely.
    family: ClassVar[str] = "anthropic"

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.auth = BedrockAuth(config)
        self._region: str = config.region or ""
        self._betas_reported: set[str] = set()

    async def start(self) -> None:
        await super().start()
        await self.auth.start()

    async def close(self) -> None:
        await self.auth.close()
        await super().close()

    # -- routing facts -----------------------------------------------------------------

    def upstream_model(self, model: str) -> str:
        mapped = self.config.model_map.get(model)
        return mapped if mapped is not None else bedrock_model_id(model, region=self._region)

    # -- wire ---------------------------------------------------------------------------

    def url(self, request: RelayRequest, upstream_model: str) -> str:
        if _counting(request):
            model, action = foundation_model_id(upstream_model), "count-tokens"
        else:
            model = upstream_model
            action = "invoke-with-response-stream" if request.stream else "invoke"
        return f"{self.base_url}/model/{quote(model, safe=':')}/{action}"

    async def headers(
        self, request: RelayRequest, key: KeyConfig | None, *, url: str, body: bytes
    ) -> dict[str, str]:
        base = {"host": host_header(url), CONTENT_TYPE: _JSON}
        headers = await self.auth.headers(url=url, body=body, key=key, base=base)
        # Unsigned on purpose: a proxy may rewrite these without breaking the signature.
        if request.stream and not _counting(request):
            headers["accept"] = EVENTSTREAM_CONTENT_TYPE
            headers["x-amzn-bedrock-accept"] = _JSON
        else:
            headers["accept"] = _JSON
        headers["accept-encoding"] = "identity"
        headers["user-agent"] = _USER_AGENT
        return headers

    def body(self, request: RelayRequest, upstream_model: str) -> bytes:
        guarded = self.guard_thinking(request)
        source = guarded if guarded is not None else request.body
        betas = header_betas(request.headers.getall(ANTHROPIC_BETA, []))
        in_body = source.get("anthropic_beta")
        if isinstance(in_body, list):
            betas.extend(b for b in in_body if isinstance(b, str))
        kept, dropped = filter_betas(betas)
        if dropped:
            self._report_dropped(dropped, request.id)
        invoke = invoke_body(source, kept)
        return count_tokens_body(invoke) if _counting(request) else orjson.dumps(invoke)

    def _report_dropped(self, dropped: list[str], request_id: str) -> None:
        # Claude Code sends the same unsupported betas on every request: say so once each.
        new = [beta for beta in dropped if beta not in self._betas_reported]
        if new:
            self._betas_reported.update(new)
            log.info(
                "provider %r: Bedrock does not take anthropic-beta %s; not sending it",
                self.name,
                ", ".join(new),
                extra={"request_id": request_id},
            )

    # -- answers -----------------------------------------------------------------------

    def is_stream(self, content_type: str) -> bool:
        return content_type == EVENTSTREAM_CONTENT_TYPE

    def decoder(self, *, client_model: str | None) -> StreamDecoder:
        return BedrockStreamDecoder(
            client_model=client_model,
            on_signature=self.remember_signature,
            where=f"provider {self.name!r} (Amazon Bedrock)",
        )

    def whole(self, body: bytes) -> bytes:
        # InvokeModel answers with Anthropic's message JSON as is; only CountTokens'
        # tiny {"inputTokens": N} needs a new shape.
        if len(body) <= _SMALL_ANSWER and b'"inputTokens"' in body:
            try:
                value = orjson.loads(body)
            except orjson.JSONDecodeError:
                return body
            if isinstance(value, dict) and "inputTokens" in value and "type" not in value:
                return orjson.dumps({"input_tokens": value["inputTokens"]})
        return body

    def error(self, answer: UpstreamAnswer) -> UpstreamAnswer:
        return anthropic_error(answer)


def _counting(request: RelayRequest) -> bool:
    return request.path.endswith(_COUNT_TOKENS_SUFFIX)
