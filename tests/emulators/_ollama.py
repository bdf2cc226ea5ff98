"""The Ollama (>= 0.14) emulator: /v1/messages in Ollama's dialect plus its model listings.

Ollama has no count_tokens and no Anthropic Models API: those paths fall through to Go's
plain-text `404 page not found`, which is what a relay has to cope with.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar, Final

from aiohttp import web

from tests.emulators._dialect import AnthropicDialect
from tests.emulators._ollama_dialect import OllamaDialect
from tests.emulators._server import EmulatorBase

__all__ = ["OllamaEmulator"]

MODIFIED_AT: Final = "2025-11-20T10:00:00.000000000Z"
CREATED_UNIX: Final = 1763632800
OLLAMA_VERSION: Final = "0.14.0"
GIN_JSON: Final = "application/json; charset=utf-8"
"""What gin's `c.JSON` sends for Ollama's native endpoints."""


def tag_name(model: str) -> str:
    """Ollama names always carry a tag; a bare name means `:latest`."""
    return model if ":" in model else f"{model}:latest"


class OllamaEmulator(EmulatorBase):
    """Fake Ollama server. See `EmulatorBase` for the constructor."""

    dialect: ClassVar[AnthropicDialect] = OllamaDialect()
    default_models: ClassVar[tuple[str, ...]] = ("qwen3-coder:latest", "gpt-oss:20b")
    root_body: ClassVar[bytes] = b"Ollama is running"

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/tags", self._tags, allow_head=False)
        router.add_get("/api/version", self._version, allow_head=False)
        router.add_get("/v1/models", self._openai_models, allow_head=False)

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=404, text="404 page not found", content_type="text/plain")

    async def _version(self, request: web.Request) -> web.StreamResponse:
        return self.json_response({"version": OLLAMA_VERSION}, content_type=GIN_JSON)

    async def _tags(self, request: web.Request) -> web.StreamResponse:
        return await self.answer_models(
            request,
            lambda: self.json_response(
                {"models": [self._tag(m) for m in self.models]}, content_type=GIN_JSON
            ),
        )

    async def _openai_models(self, request: web.Request) -> web.StreamResponse:
        data = [
            {"id": tag_name(m), "object": "model", "created": CREATED_UNIX, "owned_by": "library"}
            for m in self.models
        ]
        return await self.answer_models(
            request,
            lambda: self.json_response({"object": "list", "data": data}, content_type=GIN_JSON),
        )

    def _tag(self, model: str) -> dict[str, Any]:
        name = tag_name(model)
        family = name.split(":", 1)[0].split("-", 1)[0]
        return {
            "name": name,
            "model": name,
            "modified_at": MODIFIED_AT,
            "size": 1_000_000_000 + len(name),
            "digest": hashlib.sha256(name.encode()).hexdigest(),
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": family,
                "families": [family],
                "parameter_size": "30.5B",
                "quantization_level": "Q4_K_M",
            },
        }
