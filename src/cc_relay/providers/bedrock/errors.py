"""Bedrock's failures, and how each one reads in Anthropic's words.

Its exceptions (``EventStreamError``, ``ChecksumMismatch``) live in ``cc_relay.errors``;
missing AWS credentials raise ``UpstreamCredentialError`` there too.

Bedrock names its errors (``x-amzn-ErrorType: ThrottlingException:http://...`` on a
plain answer, ``:exception-type: throttlingException`` inside a stream) and puts the text
in ``{"message": ...}``. `ERRORS` maps each name to the status and Anthropic error type
the client gets. Statuses are Bedrock's own, with three deliberate changes, chosen so that
the relay's failover and the clients' retry logic treat them as what they are:

- ``ServiceUnavailableException`` (503) becomes 529 ``overloaded_error``: Anthropic's way
  of saying "busy, retry", which Claude Code retries after a short pause.
- ``ServiceQuotaExceededException`` (400 on Bedrock) becomes 429 ``rate_limit_error``:
  Bedrock says "resubmit later", so it is a limit, not a malformed request.

- ``ModelStreamErrorException`` (424) becomes 500 ``api_error``: AWS documents it as
  "an error occurred while streaming the response. Retry your request."

``ModelErrorException`` keeps 424 (``api_error``), which neither the relay nor the
clients retry: Bedrock uses it for an error the model raised on this very input.
"""

from __future__ import annotations

from typing import Final

import orjson

from cc_relay.errors import error_body
from cc_relay.types import UpstreamAnswer

__all__ = [
    "ERRORS",
    "anthropic_error",
    "error_answer",
    "error_for",
]

ERROR_TYPE_HEADER: Final = "x-amzn-errortype"


#: Bedrock error name (lower case) -> (HTTP status for the client, Anthropic error type).
ERRORS: Final[dict[str, tuple[int, str]]] = {
    "throttlingexception": (429, "rate_limit_error"),
    "servicequotaexceededexception": (429, "rate_limit_error"),
    "modelnotreadyexception": (429, "rate_limit_error"),
    "serviceunavailableexception": (529, "overloaded_error"),
    "validationexception": (400, "invalid_request_error"),
    "accessdeniedexception": (403, "permission_error"),
    "unrecognizedclientexception": (403, "permission_error"),
    "invalidsignatureexception": (403, "permission_error"),
    "incompletesignatureexception": (403, "permission_error"),
    "missingauthenticationtokenexception": (403, "permission_error"),
    "expiredtokenexception": (403, "permission_error"),
    "resourcenotfoundexception": (404, "not_found_error"),
    "modeltimeoutexception": (408, "timeout_error"),
    "modelerrorexception": (424, "api_error"),
    "modelstreamerrorexception": (500, "api_error"),
    "internalserverexception": (500, "api_error"),
    "internalfailure": (500, "api_error"),
}

#: Anthropic's error type for a status when Bedrock names no known error.
_BY_STATUS: Final[dict[int, str]] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_for(name: str | None, status: int) -> tuple[int, str]:
    """Client status and Anthropic error type for a Bedrock error name (any case,
    with or without the ``:http://...`` namespace suffix) and the upstream status."""
    if name:
        known = ERRORS.get(name.partition(":")[0].strip().lower())
        if known is not None:
            return known
    return status, _BY_STATUS.get(status, "api_error")


def error_answer(status: int, error_type: str, message: str) -> UpstreamAnswer:
    """An upstream answer carrying an Anthropic error body."""
    body = error_body(error_type, message)
    return UpstreamAnswer(status, {"content-type": "application/json"}, body)


def anthropic_error(answer: UpstreamAnswer) -> UpstreamAnswer:
    """A Bedrock error answer (``{"message": ...}`` + ``x-amzn-ErrorType``) in Anthropic's
    shape; Bedrock's own message text is kept verbatim."""
    headers = {
        k: v
        for k, v in answer.headers.items()
        if k.lower() not in (ERROR_TYPE_HEADER, "content-type")
    }
    name = next((v for k, v in answer.headers.items() if k.lower() == ERROR_TYPE_HEADER), None)
    status, error_type = error_for(name, answer.status)
    message = _message(answer.body) or f"Amazon Bedrock answered HTTP {answer.status}"
    translated = error_answer(status, error_type, message)
    headers["content-type"] = "application/json"
    return UpstreamAnswer(status, headers, translated.body)


def _message(body: bytes) -> str | None:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace").strip()
        return text[:500] or None
    if not isinstance(value, dict):
        return None
    # AWS's own front ends (auth failures) write "Message"; Bedrock writes "message".
    for key in ("message", "Message"):
        if isinstance(value.get(key), str) and value[key]:
            return str(value[key])
    return None
