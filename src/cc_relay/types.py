"""Types shared along the request flow (api -> routing -> providers).

This module imports nothing of ours, so every layer can depend on it.

Upstream failures, as raised by a provider attempt::

    UpstreamFailure             retryable on another candidate unless said otherwise
     ├── UpstreamConnectError   no connection (refused, DNS, TLS)
     ├── UpstreamTimeout        no first byte in time
    ├── UpstreamCutError       the connection broke before the first byte
     └── UpstreamStatusError    an HTTP error status; carries the upstream answer verbatim
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

    from cc_relay.config import KeyConfig
    from cc_relay.keypool import Lease
    from cc_relay.providers import Provider

#: Deepest nesting of arrays and objects the relay builds from a request body. Real
#: requests stay under 20 levels; orjson cannot serialise past 254, and Python code
#: walking a tree recursively would hit the interpreter's limit.
MAX_JSON_DEPTH = 128
TOO_DEEP = (
    "Request body is nested too deeply: the relay reads JSON up to "
    f"{MAX_JSON_DEPTH} levels of arrays and objects."
)

#: Statuses that say "try elsewhere": rate limited, overloaded, or broken upstream.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})

#: Anthropic's error type for each HTTP status; other 4xx are invalid_request_error and
#: other 5xx api_error (see ``error_type``).
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type(status: int) -> str:
    """Anthropic's error type for an HTTP status."""
    if status in ERROR_TYPES:
        return ERROR_TYPES[status]
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


@dataclass(slots=True)
class Credential:
    """A credential a client presented that is not the relay's own (for pass-through)."""

    header: str
    """``x-api-key`` or ``authorization``."""
    value: str

    @property
    def is_oauth(self) -> bool:
        """A Claude subscription token (``sk-ant-oat...``) sent as Bearer."""
        return self.header == "authorization" and self.value[7:].startswith("sk-ant-oat")


class RelayRequest:
    """One client request: the raw bytes, what the relay needs of them, and the full
    parsed body on demand.

    The body is parsed into Python objects at most once, and only when something must
    read or change it (a translating provider, the thinking guard, a renamed model, a
    local token estimate). A request forwarded to an Anthropic-dialect upstream as is
    never builds that tree: for a 76 KB Claude Code body the tree, and the garbage
    collector walking it, cost more than the rest of the relay.
    """

    __slots__ = (
        "_body",
        "credential",
        "headers",
        "id",
        "max_tokens",
        "model",
        "path",
        "query",
        "raw",
        "stream",
        "user_id",
    )

    def __init__(
        self,
        *,
        id: str,
        path: str,
        query: str,
        headers: CIMultiDictProxy[str],
        raw: bytes,
        model: str,
        stream: bool,
        body: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        user_id: str | None = None,
        credential: Credential | None = None,
    ) -> None:
        self.id = id
        self.path = path
        """``/v1/messages`` or ``/v1/messages/count_tokens``."""
        self.query = query
        self.headers = headers
        self.raw = raw
        self.model = model
        self.stream = stream
        self.max_tokens = max_tokens
        self.user_id = user_id
        """``metadata.user_id``, when it is a string (Claude Code's session key)."""
        self.credential = credential
        self._body = body

    @property
    def body(self) -> dict[str, Any]:
        """The parsed body (parsed on first use; the raw bytes were validated as a JSON
        object already).

        Raises:
            InvalidRequest: nested deeper than MAX_JSON_DEPTH (the partial decode only
                skipped over what it did not build).
        """
        if self._body is None:
            self._body = load_object(self.raw)
        return self._body


def deeper_than(value: object, limit: int) -> bool:
    """True if ``value`` nests lists and dicts more than ``limit`` deep (no recursion)."""
    if not isinstance(value, (dict, list)):
        return False
    stack: list[tuple[dict[Any, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def load_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from bytes, no deeper than MAX_JSON_DEPTH.

    Raises:
        InvalidRequest: not JSON, not an object, or too deep.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(TOO_DEEP if "depth" in str(exc) else f"Invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidRequest("Request body must be a JSON object.")
    if deeper_than(value, MAX_JSON_DEPTH):
        raise InvalidRequest(TOO_DEEP)
    return value


@dataclass(slots=True)
class UpstreamAnswer:
    """An upstream's complete (non-streamed) answer, forwarded as is."""

    status: int
    headers: dict[str, str]
    body: bytes


class UpstreamFailure(Exception):
    """An attempt that failed before any byte reached the client."""

    status = 502
    error_type = "api_error"


class UpstreamConnectError(UpstreamFailure):
    pass


class UpstreamTimeout(UpstreamFailure, TimeoutError):
    status = 504
    error_type = "timeout_error"


class UpstreamCutError(UpstreamFailure):
    pass


class UpstreamStatusError(UpstreamFailure):
    def __init__(self, answer: UpstreamAnswer) -> None:
        super().__init__(f"upstream answered {answer.status}")
        self.answer = answer

    @property
    def retryable(self) -> bool:
        return self.answer.status in RETRYABLE_STATUSES


@dataclass(slots=True, frozen=True)
class Attempt:
    """One planned try: which provider, with which key, under which model name."""

    provider: Provider
    key: KeyConfig | None
    upstream_model: str
    lease: Lease | None = None
    """The key's reservation in its pool; None for providers without keys."""


class InvalidRequest(Exception):
    """The client sent something no candidate can accept; answered as a 400."""


@dataclass(slots=True)
class Usage:
    """Token counts seen in a response, for the access log."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
