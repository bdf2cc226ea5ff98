"""Anthropic errors as aiohttp responses.

The body comes from ``cc_relay.errors.error_body``, the one builder of the wire shape;
the error type follows the status unless given.
"""

from __future__ import annotations

from aiohttp import web

from cc_relay.errors import error_body
from cc_relay.errors import error_type as type_for_status
from cc_relay.headers import REQUEST_ID


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
