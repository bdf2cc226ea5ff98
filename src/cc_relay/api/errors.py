"""Anthropic-shaped errors: one builder for bodies, one exception for handlers.

Every answer the relay makes up itself has the exact wire shape of api.anthropic.com::

    {"type": "error", "error": {"type": T, "message": M}, "request_id": R}

The error type follows the status (``cc_relay.types.ERROR_TYPES``) unless given.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from cc_relay.headers import REQUEST_ID
from cc_relay.types import error_type as type_for_status


class ApiError(Exception):
    """Raise from a handler to answer with an Anthropic error."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type or type_for_status(status)
        self.headers = headers or {}


def error_body(error_type: str, message: str, request_id: str | None = None) -> bytes:
    body: dict[str, object] = {"type": "error", "error": {"type": error_type, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return orjson.dumps(body)


def error_response(
    status: int,
    message: str,
    request_id: str,
    *,
    error_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.Response(
        status=status,
        body=error_body(error_type or type_for_status(status), message, request_id),
        content_type="application/json",
        headers={REQUEST_ID: request_id, **(headers or {})},
    )
