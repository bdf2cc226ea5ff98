"""From request bytes to a RelayRequest, building as little as the relay needs.

Only what the relay itself needs is checked here (the body is an object, ``model``,
``messages``, ``max_tokens`` and ``stream`` have usable types); everything else is the
upstream's to judge, and unknown fields pass through untouched.

The body is decoded into a small struct with msgspec: the top-level fields the relay
reads are built, ``messages`` is kept as raw bytes, and every other field is checked for
well-formed JSON and skipped. The full tree is built later only if something needs it
(see ``RelayRequest.body``, which refuses trees deeper than ``MAX_JSON_DEPTH``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from multidict import CIMultiDictProxy

from cc_relay.errors import ApiError
from cc_relay.jsonbody import MAX_JSON_DEPTH, TOO_DEEP, deeper_than
from cc_relay.types import Credential, RelayRequest

MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"

_MISSING: Any = msgspec.UNSET


#: Stands for an absent ``messages`` (msgspec.Raw cannot be part of a union).
_NO_MESSAGES = msgspec.Raw(b"")


class _Head(msgspec.Struct):
    model: Any = _MISSING
    messages: msgspec.Raw = _NO_MESSAGES
    max_tokens: Any = _MISSING
    stream: Any = False
    metadata: Any = None


_decode = msgspec.json.Decoder(_Head).decode
_RAW_TYPES = {
    ord("["): "an array",
    ord("{"): "an object",
    ord('"'): "a string",
    ord("t"): "a boolean",
    ord("f"): "a boolean",
    ord("n"): "null",
}


def parse_request(
    raw: bytes,
    *,
    request_id: str,
    path: str,
    query: str,
    headers: CIMultiDictProxy[str],
    credential: Credential | None,
) -> RelayRequest:
    if not raw or raw.isspace():  # isspace stops at the first other byte; strip copies
        raise ApiError(
            400, "Request body is empty: send a JSON object with model, max_tokens and messages."
        )
    head = _head(raw)
    model = _required(head.model, "model", str, "a string")
    if not model:
        raise ApiError(400, "model: String should have at least 1 character")
    if not len(head.messages):
        raise ApiError(400, "messages: Field required")
    kind = _raw_type(head.messages)
    if kind != "an array":
        raise ApiError(400, f"messages: Input should be a list, got {kind}")
    max_tokens = None
    if path == MESSAGES_PATH:
        max_tokens = _required(head.max_tokens, "max_tokens", int, "an integer")
        if max_tokens < 1:
            raise ApiError(400, "max_tokens: Input should be an integer greater than 0")
    stream = head.stream
    if stream is not None and not isinstance(stream, bool):
        raise ApiError(400, f"stream: Input should be a valid boolean, got {_json_type(stream)}")
    metadata = head.metadata
    if isinstance(metadata, (dict, list)) and deeper_than(metadata, MAX_JSON_DEPTH - 1):
        raise ApiError(400, TOO_DEEP)
    user_id = metadata.get("user_id") if isinstance(metadata, dict) else None
    return RelayRequest(
        id=request_id,
        path=path,
        query=query,
        headers=headers,
        raw=raw,
        model=model,
        stream=bool(stream),
        max_tokens=max_tokens,
        user_id=user_id if isinstance(user_id, str) else None,
        credential=credential,
    )


def _head(raw: bytes) -> _Head:
    try:
        return _decode(raw)
    except msgspec.ValidationError:
        # Every field takes any JSON value: only the top level can be of the wrong type.
        first = raw.lstrip()[:1]
        kind = _RAW_TYPES.get(first[0], "a number") if first else "nothing"
        raise ApiError(400, f"Request body must be a JSON object, got {kind}.") from None
    except msgspec.DecodeError as exc:
        raise ApiError(400, f"Request body is not valid JSON: {exc}") from None
    except RecursionError:
        # msgspec skips the fields it does not build, but it still descends into them.
        raise ApiError(400, TOO_DEEP) from None


def _required(value: Any, name: str, kind: type, described: str) -> Any:
    if value is _MISSING:
        raise ApiError(400, f"{name}: Field required")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ApiError(400, f"{name}: Input should be {described}, got {_json_type(value)}")
    return value


def _raw_type(value: msgspec.Raw) -> str:
    first = memoryview(value)[:1].tobytes()
    return _RAW_TYPES.get(first[0], "a number") if first else "nothing"


def _json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
