"""``GET /v1/models`` and ``GET /v1/models/{id}`` in the Anthropic shape, with paging."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from cc_relay.api.keys import CREDENTIAL_KEY, RUNTIME_KEY
from cc_relay.catalog import learn_from_client
from cc_relay.errors import ApiError
from cc_relay.providers import ModelInfo

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000


def _entry(info: ModelInfo) -> dict[str, Any]:
    return {
        "type": "model",
        "id": info.id,
        "display_name": info.display_name,
        "created_at": info.created_at,
    }


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, f"limit: Input should be an integer from 1 to {MAX_LIMIT}, got {raw!r}")
    return int(raw)


def page(
    models: list[ModelInfo], *, limit: int, after_id: str | None, before_id: str | None
) -> dict[str, Any]:
    """Cursor paging as the Anthropic API does it: after_id forward, before_id backward."""
    ids = [m.id for m in models]
    for name, cursor in (("after_id", after_id), ("before_id", before_id)):
        if cursor is not None and cursor not in ids:
            raise ApiError(400, f"{name}: unknown model id {cursor!r}")
    if after_id is not None:
        start = ids.index(after_id) + 1
        chosen = models[start : start + limit]
        has_more = start + limit < len(models)
    elif before_id is not None:
        end = ids.index(before_id)
        chosen = models[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        chosen = models[:limit]
        has_more = limit < len(models)
    return {
        "data": [_entry(m) for m in chosen],
        "has_more": has_more,
        "first_id": chosen[0].id if chosen else None,
        "last_id": chosen[-1].id if chosen else None,
    }


async def list_models(request: web.Request) -> web.Response:
    runtime = request[RUNTIME_KEY]
    await runtime.refresh_models()  # first, so that what the client's credential lists stays
    await learn_from_client(runtime.enabled, request[CREDENTIAL_KEY])
    query = request.query
    if "after_id" in query and "before_id" in query:
        raise ApiError(400, "after_id and before_id cannot be used together")
    body = page(
        await runtime.models(),
        limit=_limit(query.get("limit")),
        after_id=query.get("after_id"),
        before_id=query.get("before_id"),
    )
    return web.json_response(body)


async def get_model(request: web.Request) -> web.Response:
    runtime = request[RUNTIME_KEY]
    model_id = request.match_info["model_id"]
    for info in await runtime.models():
        if info.id == model_id:
            return web.json_response(_entry(info))
    raise ApiError(404, f"model: {model_id!r} not found. See GET /v1/models.")
