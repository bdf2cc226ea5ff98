"""Anthropic-shaped errors: one builder for bodies, one table for exceptions.

Every answer the relay makes up itself has the exact wire shape of api.anthropic.com::

    {"type": "error", "error": {"type": T, "message": M}, "request_id": R}
"""

from __future__ import annotations

import orjson
from aiohttp import web

from cc_relay.headers import REQUEST_ID

#: Anthropic's error type for each status the relay itself may answer with.
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    415: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


class ApiError(Exception):
    """Raise from a handler to answer with an Anthropic error."""

    def __init__(self, status: int, message: str, *, error_type: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type or ERROR_TYPES.get(status, "api_error")
        self.headers = headers or {}


def error_body(error_type: str, message: str, request_id: str | None = None) -> bytes:
    body: dict[str, object] = {"type": "error",
                               "error": {"type": error_type, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return orjson.dumps(body)


def error_response(status: int, message: str, request_id: str, *,
                   error_type: str | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=error_body(error_type or ERROR_TYPES.get(status, "api_error"), message, request_id),
        content_type="application/json",
        headers={REQUEST_ID: request_id, **(headers or {})},
    )
