"""OpenAI-dialect errors in Anthropic's shape.

Error bodies seen behind the OpenAI dialect::

    {"error": {"message": M, "type": T, "param": P, "code": C}}   OpenAI, OpenRouter,
                                                                  DeepSeek, Ollama, LM Studio,
                                                                  llama.cpp, newer vLLM
    {"object": "error", "message": M, "type": T, "code": C}       older vLLM
    {"detail": M}                                                 FastAPI-based servers
    {"message": M}                                                API gateways in front
    anything else (HTML from a proxy, plain text)                 kept as text, shortened

The HTTP status picks Anthropic's error type (``ERROR_TYPES``); the upstream's message is
kept, since it is what a user needs to fix the request. One rewrite: a context-window
overflow is reported with Anthropic's wording ``prompt is too long: N tokens > M
maximum``, the phrase Claude Code matches to compact the conversation and retry
(upstream wordings differ per server and would strand the session).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from cc_relay.errors import ERROR_TYPES, envelope, error_type
from cc_relay.headers import CONTENT_ENCODING, CONTENT_TYPE
from cc_relay.types import UpstreamAnswer

__all__ = [
    "ERROR_TYPES",
    "anthropic_error",
    "error_payload",
    "error_type",
    "stream_error",
    "translate",
]

#: How much of a body that is not JSON is kept as the message.
MAX_TEXT_MESSAGE = 500
_CONTEXT_CODES = frozenset(
    {"context_length_exceeded", "exceed_context_size_error", "model_max_prompt_tokens_exceeded"}
)
_CONTEXT_WORDING = re.compile(
    r"context length|context window|context size|prompt is too long|input is too long"
    r"|too many (?:input )?tokens|maximum allowed input length",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d[\d,]*\d")
_LIMIT = re.compile(r"(?:maximum|max)\D{0,40}?(\d[\d,]*\d)", re.IGNORECASE)
_DROPPED_HEADERS = frozenset({CONTENT_TYPE, CONTENT_ENCODING, "content-length"})


def error_payload(data: object) -> dict[str, Any] | None:
    """The error object in a parsed body or stream chunk, if it holds one."""
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, dict):
        return error
    if isinstance(error, str):
        return {"message": error}
    if data.get("object") == "error":
        return data
    if "choices" in data:
        return None
    for key in ("detail", "message"):  # FastAPI servers; API gateways in front
        if isinstance(data.get(key), str):
            return {"message": data[key]}
    return None


def _message(error: dict[str, Any]) -> str:
    message = error.get("message")
    text = message if isinstance(message, str) and message else "upstream error"
    return _context_overflow(error, text) or text


def _context_overflow(error: dict[str, Any], text: str) -> str | None:
    if error.get("code") not in _CONTEXT_CODES and not _CONTEXT_WORDING.search(text):
        return None
    if text.lower().startswith("prompt is too long"):
        return text
    used, limit = error.get("n_prompt_tokens"), error.get("n_ctx")  # llama.cpp
    if not (isinstance(used, int) and isinstance(limit, int)):
        used, limit = _counts(text)
    if used is None or limit is None:
        return f"prompt is too long. {text}"
    return f"prompt is too long: {used} tokens > {limit} maximum. {text}"


def _counts(text: str) -> tuple[int | None, int | None]:
    """(tokens sent, limit) from an overflow message: the limit follows "maximum"
    (or is the smallest count), the tokens sent are the largest count."""
    numbers = [int(n.replace(",", "")) for n in _NUMBER.findall(text)]
    numbers = [n for n in numbers if n >= 1000]
    if len(numbers) < 2:
        return None, None
    named = _LIMIT.search(text)
    limit = int(named.group(1).replace(",", "")) if named else min(numbers)
    used = max(numbers)
    return (used, limit) if used > limit else (None, None)


def anthropic_error(status: int, body: bytes) -> dict[str, Any]:
    """The Anthropic error envelope for an upstream error body with this status."""
    try:
        data: object = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    error = error_payload(data)
    if error is not None:
        message = _message(error)
    else:
        text = body.decode("utf-8", "replace").strip()[:MAX_TEXT_MESSAGE]
        message = text or f"upstream answered HTTP {status}"
    return envelope(error_type(status), message)


def stream_error(error: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The status an error object met in a 200 answer stands for, and its Anthropic
    envelope.

    Such an error has no HTTP status of its own: its ``code`` may be one (OpenRouter),
    otherwise its wording decides, and 502 with ``api_error`` is the fallback (Claude
    Code answers a streamed ``api_error`` by re-sending the request without streaming).
    """
    code = error.get("code")
    status = code if isinstance(code, int) and 400 <= code <= 599 else 0
    hint = f"{error.get('type')} {code}".lower()
    if not status:
        if "rate_limit" in hint:
            status = 429
        elif "overloaded" in hint:
            status = 529
        elif "invalid_request" in hint or code in _CONTEXT_CODES:
            status = 400
        else:
            status = 502
    return status, envelope(error_type(status), _message(error))


def translate(answer: UpstreamAnswer) -> UpstreamAnswer:
    """An upstream error answer, re-written in Anthropic's shape (status kept)."""
    headers = {k: v for k, v in answer.headers.items() if k.lower() not in _DROPPED_HEADERS}
    headers[CONTENT_TYPE] = "application/json"
    body = orjson.dumps(anthropic_error(answer.status, answer.body))
    return UpstreamAnswer(answer.status, headers, body)
