"""The http1 package's exceptions: one tree, a leaf per phase of a request.

    HTTP1Error                  base of every error this package raises
     ├── RequestError           one request failed on the wire
     │    ├── ConnectError      no connection: refused, unreachable, DNS, TLS handshake
     │    │    └── ConnectTimeout       (also a TimeoutError)
     │    ├── WriteError        the connection broke while the request was being written
     │    ├── HeadError         no complete status line and headers: closed, reset
     │    │    └── InvalidHead  bytes that are not an HTTP/1.1 response head
     │    └── BodyError         the body broke off: closed early, reset
     │         └── InvalidBody  bad framing inside the body (chunk sizes, trailing bytes)
     └── UsageError             misuse, not a network failure: a closed client, a URL
                                this client cannot serve, a body read after release

A ``RequestError`` says which phase failed, so a caller can tell "the upstream never
saw the request" (connect) from "it broke off mid-answer" (body). The relay turns
them into its own upstream failures in one place (:mod:`cc_relay.http1.boundary`).
"""

from __future__ import annotations

from cc_relay.errors import RelayError

__all__ = [
    "BodyError",
    "ConnectError",
    "ConnectTimeout",
    "HTTP1Error",
    "HeadError",
    "InvalidBody",
    "InvalidHead",
    "RequestError",
    "UsageError",
    "WriteError",
]


class HTTP1Error(RelayError):
    """Base of every error of :mod:`cc_relay.http1`; under the relay's one root."""


class RequestError(HTTP1Error):
    """A request that failed on the wire; the leaf class names the phase."""


class ConnectError(RequestError):
    """No connection to the origin (refused, unreachable, name lookup, TLS)."""


class ConnectTimeout(ConnectError, TimeoutError):
    """The connection was not established within the pool's connect timeout."""


class WriteError(RequestError):
    """The connection broke while request bytes were still unsent."""


class HeadError(RequestError):
    """The response's status line and headers did not arrive complete."""


class InvalidHead(HeadError):
    """The upstream sent something that is not an HTTP/1.1 response head."""


class BodyError(RequestError):
    """The response body broke off before its end."""


class InvalidBody(BodyError):
    """The body's framing was wrong (a bad chunk size, bytes after the end)."""


class UsageError(HTTP1Error, RuntimeError):
    """The client was used wrongly; never a network failure."""
