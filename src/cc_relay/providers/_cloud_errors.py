"""Upstream error answers in Anthropic's shape, whatever shape they came in.

Vertex AI answers its own failures (quota, auth, unknown model) Google-style and passes
Anthropic's errors through; Azure's gateway answers Azure-style. Clients, and Claude
Code's handling of errors, expect Anthropic's envelope, so::

    {"type": "error", "error": {"type": T, ...}}                        kept byte for byte
    {"error": {"code": 429, "message": M, "status": "RESOURCE_EXHAUSTED"}}    Google
    [{"error": {...}}]                                                  Google, as a list
    {"error": {"code": "DeploymentNotFound", "message": M}}             Azure
    {"message": M}, {"error": "M"}, plain text, HTML                    anything else

become ``{"type": "error", "error": {"type": T, "message": M}}``. T follows the HTTP
status, which is kept as it was, so an SDK raises the same exception class either way.
"""

from __future__ import annotations

from typing import Any

import orjson

from cc_relay.errors import error_body, error_type
from cc_relay.headers import CONTENT_ENCODING, CONTENT_TYPE
from cc_relay.types import UpstreamAnswer

_MAX_TEXT = 500


def to_anthropic(answer: UpstreamAnswer, *, upstream: str) -> UpstreamAnswer:
    """``answer`` with its body in Anthropic's error envelope.

    Args:
        answer: the upstream's error answer, as received.
        upstream: who answered (``"Vertex AI"``), for messages made up from nothing.
    """
    encoding = next(
        (v for k, v in answer.headers.items() if k.lower() == CONTENT_ENCODING), "identity"
    )
    if encoding.strip().lower() != "identity":
        return answer  # compressed against our request for identity: pass it on unread
    try:
        data: Any = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        data = None
    if _is_anthropic(data):
        return answer
    message = (
        _message(data)
        or _text(answer.body)
        or f"{upstream} answered HTTP {answer.status} with no explanation"
    )
    body = error_body(error_type(answer.status), message)
    headers = {k: v for k, v in answer.headers.items() if k.lower() != CONTENT_TYPE}
    headers[CONTENT_TYPE] = "application/json"
    return UpstreamAnswer(answer.status, headers, body)


def _is_anthropic(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and data.get("type") == "error"
        and isinstance(data.get("error"), dict)
        and isinstance(data["error"].get("type"), str)
    )


def _message(data: Any) -> str | None:
    """The human message of a Google, Azure or ad-hoc JSON error body."""
    if isinstance(data, list) and len(data) >= 1:
        data = data[0]
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, str) and message:
            return message
        status = error.get("status") or error.get("code")
        return str(status) if status else None
    if isinstance(error, str) and error:
        detail = data.get("error_description") or data.get("message")
        return f"{error}: {detail}" if isinstance(detail, str) and detail else error
    message = data.get("message") or data.get("Message")
    return message if isinstance(message, str) and message else None


def _text(body: bytes) -> str | None:
    """A plain-text body's first line; None for HTML (an error page) and JSON."""
    text = body.decode("utf-8", "replace").strip()
    if not text or text.startswith(("<", "{", "[")):
        return None
    return text.splitlines()[0][:_MAX_TEXT]
