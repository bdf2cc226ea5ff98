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

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

    from cc_relay.config import KeyConfig
    from cc_relay.keypool import Lease
    from cc_relay.providers import Provider

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


@dataclass(slots=True)
class RelayRequest:
    """One parsed client request: the body is parsed once and the raw bytes kept."""

    id: str
    path: str
    """``/v1/messages`` or ``/v1/messages/count_tokens``."""
    query: str
    headers: CIMultiDictProxy[str]
    raw: bytes
    body: dict[str, Any]
    model: str
    stream: bool
    credential: Credential | None = None


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
