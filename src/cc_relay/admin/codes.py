"""Error codes of the admin service: one table for both transports.

A refusal is an ``AdminError`` with a Connect code; gRPC answers with the matching
status, the JSON twin with ``{"code": ..., "message": ...}`` and the matching HTTP
status (the Connect protocol's own mapping).
"""

from __future__ import annotations

import grpc

from cc_relay.errors import AdminError

INVALID_ARGUMENT = "invalid_argument"
NOT_FOUND = "not_found"
FAILED_PRECONDITION = "failed_precondition"
ABORTED = "aborted"
UNAUTHENTICATED = "unauthenticated"
PERMISSION_DENIED = "permission_denied"
UNIMPLEMENTED = "unimplemented"
UNAVAILABLE = "unavailable"
RESOURCE_EXHAUSTED = "resource_exhausted"
INTERNAL = "internal"

#: Connect code -> (gRPC status, HTTP status).
CODES: dict[str, tuple[grpc.StatusCode, int]] = {
    INVALID_ARGUMENT: (grpc.StatusCode.INVALID_ARGUMENT, 400),
    NOT_FOUND: (grpc.StatusCode.NOT_FOUND, 404),
    FAILED_PRECONDITION: (grpc.StatusCode.FAILED_PRECONDITION, 400),
    ABORTED: (grpc.StatusCode.ABORTED, 409),
    UNAUTHENTICATED: (grpc.StatusCode.UNAUTHENTICATED, 401),
    PERMISSION_DENIED: (grpc.StatusCode.PERMISSION_DENIED, 403),
    UNIMPLEMENTED: (grpc.StatusCode.UNIMPLEMENTED, 404),
    UNAVAILABLE: (grpc.StatusCode.UNAVAILABLE, 503),
    RESOURCE_EXHAUSTED: (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
    INTERNAL: (grpc.StatusCode.INTERNAL, 500),
}


def grpc_status(exc: AdminError) -> grpc.StatusCode:
    return CODES.get(exc.code, CODES[INTERNAL])[0]


def http_status(exc: AdminError) -> int:
    return CODES.get(exc.code, CODES[INTERNAL])[1]
