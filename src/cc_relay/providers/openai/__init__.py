"""Any OpenAI-compatible ``/v1/chat/completions`` server, translated both ways.

OpenAI, OpenRouter, DeepSeek, vLLM, llama.cpp, LM Studio and Ollama's OpenAI endpoint
all speak this dialect. Modules, in request order:

    request     Anthropic request body -> chat completions body (top-level fields)
    messages    system + messages -> chat messages (content blocks, tool results)
    ids         tool ids valid on both sides, the same for a tool_use and its result
    response    a non-streamed chat completion -> an Anthropic message
    framing     OpenAI's SSE lines -> payloads, whatever the TCP chunking
    stream      chat completion chunks -> Anthropic SSE events (the StreamDecoder)
    arguments   tool-call arguments -> Anthropic tool input, never invalid JSON
    outcome     finish_reason -> stop_reason; usage
    errors      OpenAI-shaped errors -> Anthropic's error shape
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import urlsplit

import orjson

from cc_relay import __version__
from cc_relay.config import KeyConfig, ProviderConfig
from cc_relay.headers import ACCEPT_ENCODING, CONTENT_TYPE
from cc_relay.providers.base import UNKNOWN_CREATED_AT, ModelInfo, Provider, bearer
from cc_relay.providers.openai.errors import translate
from cc_relay.providers.openai.request import TokenField, chat_request
from cc_relay.providers.openai.response import anthropic_message
from cc_relay.providers.openai.stream import ChatStreamDecoder
from cc_relay.sse import StreamDecoder
from cc_relay.types import Credential, RelayRequest, UpstreamAnswer

__all__ = ["OpenAIProvider"]

_ACCEPT = "accept"
_USER_AGENT = "user-agent"
_AGENT = f"cc-relay/{__version__}"
#: OpenAI's own API: its models refuse ``max_tokens`` (see ``request.TokenField``), and
#: it refuses message fields it does not know (``reasoning_content``).
_OPENAI_HOSTS = frozenset({"api.openai.com"})


def api_url(base_url: str) -> str:
    """The API root: ``base_url`` as given, or with ``/v1`` added when it has no path."""
    return base_url if urlsplit(base_url).path.strip("/") else f"{base_url}/v1"


class OpenAIProvider(Provider):
    """A chat completions server, behind the Anthropic Messages API.

    ``base_url`` is the API root including its version, as OpenAI's own SDKs take it:
    ``https://api.openai.com/v1``, ``https://openrouter.ai/api/v1``,
    ``http://localhost:8000/v1`` (vLLM), ``http://localhost:11434/v1`` (Ollama).
    Requests go to ``{base_url}/chat/completions`` and model discovery to
    ``{base_url}/models``. A ``base_url`` with no path at all (``http://host:1234``)
    gets ``/v1`` added, since every server listed above serves its API there.

    The provider's keys go out as ``Authorization: Bearer``; with no key configured
    (a local server) no credential is sent. A client's own Anthropic credential is never
    sent here. There is no token-counting endpoint, so the relay estimates counts.
    """

    counts_tokens: ClassVar[bool] = False
    #: Thinking blocks from this provider carry no signature of any family.
    family: ClassVar[str] = "openai"

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.base_url = api_url(config.url)
        openai = (urlsplit(self.base_url).hostname or "") in _OPENAI_HOSTS
        self._token_field: TokenField = "max_completion_tokens" if openai else "max_tokens"
        self._replay_reasoning = not openai

    # -- request -------------------------------------------------------------------------

    def url(self, request: RelayRequest, upstream_model: str) -> str:
        return f"{self.base_url}/chat/completions"

    async def headers(
        self, request: RelayRequest, key: KeyConfig | None, *, url: str, body: bytes
    ) -> dict[str, str]:
        # Built from scratch: Anthropic's headers (versions, betas, session ids) mean
        # nothing to these servers, and the client's credential must never leave.
        headers = {
            CONTENT_TYPE: "application/json",
            _ACCEPT: "text/event-stream" if request.stream else "application/json",
            ACCEPT_ENCODING: "identity",
            _USER_AGENT: _AGENT,
        }
        headers.update(self.auth_headers(key, request.credential))
        return headers

    def auth_headers(self, key: KeyConfig | None, client: Credential | None) -> dict[str, str]:
        return bearer(key.key) if key is not None else {}

    def body(self, request: RelayRequest, upstream_model: str) -> bytes:
        return orjson.dumps(
            chat_request(
                request.body,
                upstream_model,
                stream=request.stream,
                token_field=self._token_field,
                replay_reasoning=self._replay_reasoning,
            )
        )

    # -- answers -------------------------------------------------------------------------

    def is_stream(self, content_type: str) -> bool:
        # Servers label their SSE loosely (text/plain, application/x-ndjson); only a JSON
        # answer is a whole one (a server that ignored ``stream: true``).
        return content_type != "application/json"

    def decoder(self, *, client_model: str | None) -> StreamDecoder:
        return ChatStreamDecoder(client_model=client_model)

    def whole(self, body: bytes) -> bytes:
        return orjson.dumps(anthropic_message(body))

    def error(self, answer: UpstreamAnswer) -> UpstreamAnswer:
        return translate(answer)

    async def discover(self) -> tuple[ModelInfo, ...]:
        key = self.config.keys[0].key if self.config.keys else None
        data = await self._get_json("/models", bearer(key) if key else {})
        items = data.get("data") if isinstance(data, dict) else None
        return tuple(
            ModelInfo(
                id=item["id"], display_name=item["id"], created_at=_created_at(item.get("created"))
            )
            for item in items or ()
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        )


def _created_at(created: object) -> str:
    if isinstance(created, int) and not isinstance(created, bool) and created > 0:
        return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return UNKNOWN_CREATED_AT
