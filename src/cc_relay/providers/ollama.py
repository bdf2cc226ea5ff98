"""Ollama (>= 0.14) and its Anthropic-compatible ``/v1/messages``.

Ollama ignores or chokes on parts of the Anthropic API. The relay enforces its limits
instead of letting a request fail obscurely: what Ollama cannot use but can do without
(prompt caching, ``metadata``, ``tool_choice``) is stripped; what would change the
answer's meaning if dropped (PDF documents, images by URL) is refused with a 400.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cc_relay.config import KeyConfig
from cc_relay.errors import InvalidRequest
from cc_relay.providers.base import ModelInfo, Provider, bearer
from cc_relay.types import Credential

_STRIPPED_FIELDS = ("metadata", "tool_choice")


class OllamaProvider(Provider):
    counts_tokens: ClassVar[bool] = False
    family: ClassVar[str] = "ollama"

    def auth_headers(self, key: KeyConfig | None, client: Credential | None) -> dict[str, str]:
        # Local Ollama needs no key; one behind an auth proxy takes a Bearer token.
        return bearer(key.key) if key is not None else {}

    def adapt_body(self, body: dict[str, Any]) -> dict[str, Any] | None:
        out = {k: v for k, v in body.items() if k not in _STRIPPED_FIELDS}
        if isinstance(out.get("system"), list):
            out["system"] = [_uncached(block) for block in out["system"]]
        if isinstance(out.get("tools"), list):
            out["tools"] = [_uncached(tool) for tool in out["tools"]]
        if isinstance(out.get("messages"), list):
            out["messages"] = [_message(m, i) for i, m in enumerate(out["messages"])]
        return out

    async def discover(self) -> tuple[ModelInfo, ...]:
        data = await self._get_json("/api/tags", {})
        names = [m.get("name") for m in data.get("models", []) if isinstance(m, dict)]
        ids = dict.fromkeys(n.removesuffix(":latest") for n in names if isinstance(n, str))
        return tuple(ModelInfo(id=i, display_name=i) for i in ids)


def _uncached(block: Any) -> Any:
    if isinstance(block, dict) and "cache_control" in block:
        return {k: v for k, v in block.items() if k != "cache_control"}
    return block


def _message(message: Any, index: int) -> Any:
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        return message
    content = [
        _content_block(block, f"messages[{index}].content[{i}]")
        for i, block in enumerate(message["content"])
    ]
    return {**message, "content": content}


def _content_block(block: Any, where: str) -> Any:
    if not isinstance(block, dict):
        return block
    kind = block.get("type")
    source = block.get("source")
    source_type = source.get("type") if isinstance(source, dict) else None
    pdf = source_type == "url" or (
        source_type == "base64"
        and isinstance(source, dict)
        and source.get("media_type") == "application/pdf"
    )
    if kind == "document" and pdf:
        raise InvalidRequest(
            f"{where}: Ollama cannot read PDF documents; send the text "
            "instead, or choose a model served by another provider"
        )
    if kind == "image" and source_type == "url":
        raise InvalidRequest(
            f"{where}: Ollama cannot fetch images by URL; send the image as base64 instead"
        )
    block = _uncached(block)
    if kind == "tool_result" and isinstance(block.get("content"), list):
        nested = [
            _content_block(b, f"{where}.content[{i}]") for i, b in enumerate(block["content"])
        ]
        block = {**block, "content": nested}
    if isinstance(block.get("citations"), (dict, list)):
        block = {k: v for k, v in block.items() if k != "citations"}
    return block
