"""Header names, written once, and the rules for which headers cross the relay."""

from __future__ import annotations

from collections.abc import Iterable

ACCEPT_ENCODING = "accept-encoding"
ANTHROPIC_BETA = "anthropic-beta"
ANTHROPIC_VERSION = "anthropic-version"
AUTHORIZATION = "authorization"
CONTENT_ENCODING = "content-encoding"
CONTENT_TYPE = "content-type"
HOST = "host"
ORIGIN = "origin"
REQUEST_ID = "request-id"
RETRY_AFTER = "retry-after"
SEC_FETCH_SITE = "sec-fetch-site"
X_API_KEY = "x-api-key"

#: The API version sent upstream when a client gives none. Anthropic answers 400 to a
#: request without one; the SDKs and Claude Code always send theirs (forwarded as is),
#: so this only keeps hand-written clients such as curl working. It is the version
#: Claude Code sends.
DEFAULT_ANTHROPIC_VERSION = "2023-06-01"

#: Connection-scoped headers (RFC 9110 section 7.6.1), never forwarded either way.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)

#: Client headers the relay replaces or must not pass on: its own framing, the
#: credentials (chosen per attempt), the encodings (the relay asks for identity so
#: it can read usage and cut streams cleanly; aiohttp already decoded a compressed
#: request body, and the relay only forwards a body it could read as JSON, so the
#: bytes sent up are always plain) and cookies.
_NOT_FORWARDED_UP = HOP_BY_HOP | {
    "host",
    "content-length",
    ACCEPT_ENCODING,
    CONTENT_ENCODING,
    AUTHORIZATION,
    X_API_KEY,
    "cookie",
}

#: Upstream headers aiohttp writes for itself on the way back, and the encoding: an
#: upstream that compresses anyway is decoded before anything is forwarded
#: (cc_relay.encoding), so the client always gets plain bytes.
_NOT_FORWARDED_DOWN = HOP_BY_HOP | {
    "content-length",
    CONTENT_ENCODING,
    "date",
    "server",
    "set-cookie",
}


def upstream_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The client's end-to-end headers, lower-cased, minus what the relay replaces, with
    an ``anthropic-version`` always."""
    out: dict[str, str] = {}
    for name, value in items:
        lower = name.lower()
        if lower not in _NOT_FORWARDED_UP:
            out[lower] = f"{out[lower]}, {value}" if lower in out else value
    out[ACCEPT_ENCODING] = "identity"
    out.setdefault(ANTHROPIC_VERSION, DEFAULT_ANTHROPIC_VERSION)
    return out


def downstream_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The upstream's end-to-end response headers, for the client, with lower-case
    names (as HTTP/2 has them) so plain dict look-ups work."""
    out: dict[str, str] = {}
    for name, value in items:
        lower = name.lower()
        if lower not in _NOT_FORWARDED_DOWN:
            out[lower] = value
    return out
