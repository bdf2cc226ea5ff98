"""From request bytes to a RelayRequest: the one JSON parse of the request.

Only what the relay itself needs is checked here (the body is an object, ``model``,
``messages``, ``max_tokens`` and ``stream`` have usable types); everything else is the
upstream's to judge, and unknown fields pass through untouched.
"""

from __future__ import annotations

from typing import Any

import orjson
from multidict import CIMultiDictProxy

from cc_relay.api.errors import ApiError
from cc_relay.types import Credential, RelayRequest

MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"


def parse_request(raw: bytes, *, request_id: str, path: str, query: str,
                  headers: CIMultiDictProxy[str], credential: Credential | None) -> RelayRequest:
    if not raw.strip():
        raise ApiError(400, "Request body is empty: send a JSON object with model, "
                            "max_tokens and messages.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"Request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"Request body must be a JSON object, got {_json_type(body)}.")
    model = _required(body, "model", str, "a string")
    if not model:
        raise ApiError(400, "model: String should have at least 1 character")
    _required(body, "messages", list, "a list")
    if path == MESSAGES_PATH:
        max_tokens = _required(body, "max_tokens", int, "an integer")
        if isinstance(max_tokens, bool) or max_tokens < 1:
            raise ApiError(400, "max_tokens: Input should be an integer greater than 0")
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise ApiError(400, f"stream: Input should be a valid boolean, got {_json_type(stream)}")
    return RelayRequest(id=request_id, path=path, query=query, headers=headers, raw=raw,
                        body=body, model=model, stream=bool(stream), credential=credential)


def _required(body: dict[str, Any], name: str, kind: type, described: str) -> Any:
    if name not in body:
        raise ApiError(400, f"{name}: Field required")
    value = body[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ApiError(400, f"{name}: Input should be {described}, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
