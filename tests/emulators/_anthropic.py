"""The api.anthropic.com emulator: messages, count_tokens and the Models API."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

from aiohttp import web

from tests.emulators._behaviours import Fail
from tests.emulators._dialect import AnthropicDialect
from tests.emulators._server import EmulatorBase

__all__ = ["AnthropicEmulator", "model_entry"]

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 1000
_DATED = re.compile(r"^(?P<stem>.*)-(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")


def model_entry(model_id: str) -> dict[str, Any]:
    """A Models API entry; the display name and date are derived from the id."""
    created_at = "2025-01-01T00:00:00Z"
    stem = model_id
    dated = _DATED.match(model_id)
    if dated:
        stem = dated["stem"]
        created_at = f"{dated['y']}-{dated['m']}-{dated['d']}T00:00:00Z"
    words: list[str] = []
    for part in stem.split("-"):
        if part.isdigit() and words and words[-1][-1:].isdigit():
            words[-1] += "." + part
        else:
            words.append(part.capitalize() if not part.isdigit() else part)
    return {
        "type": "model",
        "id": model_id,
        "display_name": " ".join(words),
        "created_at": created_at,
    }


class AnthropicEmulator(EmulatorBase):
    """Fake api.anthropic.com. See `EmulatorBase` for the constructor."""

    dialect: ClassVar[AnthropicDialect] = AnthropicDialect()
    default_models: ClassVar[tuple[str, ...]] = (
        "claude-opus-4-8",
        "claude-opus-4-7",
        "claude-sonnet-4-6",
        "claude-haiku-4-5-20251001",
    )

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/messages/count_tokens", self._count_tokens)
        router.add_get("/v1/models", self._list_models, allow_head=False)
        router.add_get("/v1/models/{model_id}", self._get_model, allow_head=False)

    async def _count_tokens(self, request: web.Request) -> web.StreamResponse:
        # Deterministic and cheap: a quarter of the body length, as a rough tokenizer would.
        body = self.recorded(request).body
        return await self.answer_count(request, max(1, len(body) // 4))

    async def _list_models(self, request: web.Request) -> web.StreamResponse:
        return await self.answer_models(request, lambda: self._page(request))

    async def _get_model(self, request: web.Request) -> web.StreamResponse:
        model_id = request.match_info["model_id"]
        if model_id not in self.models:
            return await self.answer_models(
                request, lambda: self._error(404, "not_found_error", f"model: {model_id}")
            )
        return await self.answer_models(request, lambda: self.json_response(model_entry(model_id)))

    def _error(self, status: int, error_type: str, message: str) -> web.Response:
        fail = Fail(status, error_type, message)
        request_id = self.dialect.request_id()
        headers = self.dialect.headers(status=status, request_id=request_id)
        headers["content-type"] = self.dialect.json_content_type
        return web.Response(
            status=status, body=self.dialect.error_body(fail, request_id), headers=headers
        )

    def _page(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
        except ValueError:
            limit = -1
        if not 1 <= limit <= MAX_LIMIT:
            return self._error(
                400, "invalid_request_error", f"limit: must be between 1 and {MAX_LIMIT}"
            )
        ids = list(self.models)
        after_id, before_id = query.get("after_id"), query.get("before_id")
        if after_id is not None and before_id is not None:
            return self._error(
                400, "invalid_request_error", "Cannot specify both after_id and before_id"
            )
        if before_id is not None:
            end = ids.index(before_id) if before_id in ids else 0
            start = max(0, end - limit)
            page, has_more = ids[start:end], start > 0
        else:
            start = ids.index(after_id) + 1 if after_id in ids else 0
            if after_id is not None and after_id not in ids:
                start = len(ids)
            page, has_more = ids[start : start + limit], start + limit < len(ids)
        return self.json_response(
            {
                "data": [model_entry(model_id) for model_id in page],
                "has_more": has_more,
                "first_id": page[0] if page else None,
                "last_id": page[-1] if page else None,
            }
        )
