"""Every exception of the relay, under one root, and the one builder of Anthropic errors.

::

    RelayError
     ├── ConfigError                 a config file cannot be read or is invalid
 ├── AdminError                  a management call refused, with its Connect/gRPC code
     ├── ProviderSetupError          a provider cannot work as configured (also ValueError)
     ├── KeyPoolError
     │    └── UnknownSelection       a key-selection policy that does not exist (ValueError)
     ├── EventStreamError            an AWS event-stream frame cannot be read (ValueError)
     │    └── ChecksumMismatch       ... because its CRC32 does not match
     ├── TokenError                  no access token could be minted for a request
     ├── ApiError                    answer the client with this Anthropic error
     ├── InvalidRequest              no candidate can accept the body (answered 400)
     ├── UnknownModel                no enabled provider serves the model (also LookupError)
     ├── NothingToTry                every candidate was skipped: keys resting, circuits open
     ├── HTTP1Error                  the lean upstream client's own tree, a leaf per wire
     │                               phase (cc_relay.http1.errors); mapped to the
     │                               UpstreamFailure below at one boundary
     └── UpstreamFailure             an attempt failed before any byte reached the client
          ├── UpstreamConnectError      connect phase: refused, DNS, TLS
          ├── UpstreamCredentialError   no usable credential for the upstream; the relay's
          │                             problem, so it never counts toward opening a circuit
          ├── UpstreamTimeout           first-byte phase: nothing in time (also TimeoutError)
          ├── UpstreamCutError          read phase: the connection broke before the first event
          └── UpstreamStatusError       an HTTP error status; carries the answer verbatim

Anthropic's wire shape for an error is built in exactly one place, :func:`envelope`;
:func:`error_body` serialises it for HTTP answers, and ``cc_relay.sse.error_event``
for streams.

This module imports nothing of ours at run time, so every layer can raise from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from cc_relay.routing.plan import Plan
    from cc_relay.types import UpstreamAnswer

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
    415: "invalid_request_error",
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


_type_for = error_type


def envelope(error_type: str, message: str, *, request_id: str | None = None) -> dict[str, Any]:
    """``{"type": "error", "error": {"type": T, "message": M}[, "request_id": R]}``."""
    body: dict[str, Any] = {"type": "error", "error": {"type": error_type, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body


def error_body(error_type: str, message: str, request_id: str | None = None) -> bytes:
    """The JSON bytes of :func:`envelope`."""
    return orjson.dumps(envelope(error_type, message, request_id=request_id))


class RelayError(Exception):
    """Base of every exception the relay raises on purpose."""


class ConfigError(RelayError):
    """A config file could not be read or is invalid; the message names file, key and fix.

    Args:
        problems: each validation problem as (key path, message), for callers that show
            them one by one (the admin service); empty when the file could not be parsed.
        lines: for each problem, its 1-based line in the YAML document (0: unknown);
            empty when nobody looked them up.
    """

    def __init__(
        self,
        message: str,
        *,
        problems: Sequence[tuple[str, str]] = (),
        lines: Sequence[int] = (),
    ) -> None:
        super().__init__(message)
        self.problems = tuple(problems)
        self.lines = tuple(lines)

    def line(self, index: int) -> int:
        """Problem ``index``'s line, 0 when unknown."""
        return self.lines[index] if index < len(self.lines) else 0


class AdminError(RelayError):
    """A management call refused or failed.

    Args:
        code: the Connect error code (``not_found``, ``invalid_argument``, ...), which
            also names the gRPC status (``NOT_FOUND``, ...).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ProviderSetupError(RelayError, ValueError):
    """A provider cannot work as configured (missing package, unreadable credentials)."""


class KeyPoolError(RelayError):
    """Base of the key pool's errors."""


class UnknownSelection(KeyPoolError, ValueError):
    """The selection policy named is not one the pool knows."""


class EventStreamError(RelayError, ValueError):
    """A frame of the AWS event stream cannot be read."""


class ChecksumMismatch(EventStreamError):
    """A frame's CRC32 does not match its bytes: the stream was corrupted."""


class TokenError(RelayError):
    """No access token could be obtained for an upstream request."""


class ApiError(RelayError):
    """Raise from anywhere on the request path to answer with an Anthropic error."""

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
        self.error_type = error_type or _type_for(status)
        self.headers = headers or {}


class InvalidRequest(RelayError):
    """The client sent something no candidate can accept; answered as a 400."""


class UnknownModel(RelayError, LookupError):
    """No enabled provider serves the model."""

    def __init__(self, model: str, available: Sequence[str]) -> None:
        super().__init__(model)
        self.model = model
        self.available = available


class NothingToTry(RelayError):
    """Every candidate was skipped: keys rate limited or circuits open."""

    def __init__(self, plan: Plan) -> None:
        super().__init__("no candidate could take the request")
        self.plan = plan


class UpstreamFailure(RelayError):
    """An attempt that failed before any byte reached the client."""

    status = 502
    error_type = "api_error"
    phase = "upstream"
    """What the event stream and metrics call this failure."""


class UpstreamConnectError(UpstreamFailure):
    phase = "connect"


class UpstreamCredentialError(UpstreamFailure):
    """The relay could not authenticate the request (no token, no AWS credentials)."""

    phase = "credentials"


class UpstreamTimeout(UpstreamFailure, TimeoutError):
    status = 504
    error_type = "timeout_error"
    phase = "first_byte"


class UpstreamCutError(UpstreamFailure):
    phase = "read"


class UpstreamStatusError(UpstreamFailure):
    phase = "status"

    def __init__(self, answer: UpstreamAnswer) -> None:
        super().__init__(f"upstream answered {answer.status}")
        self.answer = answer

    @property
    def retryable(self) -> bool:
        return self.answer.status in RETRYABLE_STATUSES
