"""A request head read with httptools (llhttp), and whether the front server takes it.

The front server answers only the plain case of its two routes: ``POST`` over HTTP/1.1,
a ``Content-Length`` body without ``Content-Encoding``, no ``Expect`` or ``Upgrade``, an
unencoded path and query, a head of ordinary size; and ``HEAD /`` or ``GET /`` without
a body. Everything else (and everything it
cannot parse) goes to aiohttp unread, which answers it exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import httptools
from multidict import CIMultiDict, CIMultiDictProxy

from cc_relay.api.parse import COUNT_TOKENS_PATH, MESSAGES_PATH

#: The requests the front server answers itself: the two hot routes, and the root probe
#: Claude Code sends first on a connection it then reuses for them.
ROUTES = frozenset(
    {("POST", MESSAGES_PATH), ("POST", COUNT_TOKENS_PATH), ("HEAD", "/"), ("GET", "/")}
)
#: A head longer than this (Claude Code's is 1-2 KiB) is aiohttp's, with its own limits.
MAX_HEAD = 16384
MAX_HEADERS = 100
#: Request headers that make a request unusual enough for aiohttp to take it.
_UNUSUAL = frozenset({"transfer-encoding", "content-encoding", "expect", "upgrade"})
_CONTENT_LENGTH = "content-length"
_WHITESPACE = ("", " ", "\t")


@dataclass(slots=True)
class Head:
    """A request the front server takes."""

    method: str
    path: str
    query: str
    headers: CIMultiDictProxy[str]
    size: int
    """Bytes of the head, blank line included: the body starts here."""
    length: int
    """The body's ``Content-Length``."""
    keep_alive: bool

    @property
    def content_type(self) -> str:
        """The media type, lower-cased, without parameters (as aiohttp reads it)."""
        value = self.headers.get("content-type")
        if value is None:
            return "application/octet-stream"
        return value.partition(";")[0].strip().lower()


class _Target:
    """httptools' one callback: the request target."""

    __slots__ = ("url",)

    def __init__(self) -> None:
        self.url = b""

    def on_url(self, url: bytes) -> None:
        self.url += url


def read_head(data: bytes | bytearray, size: int) -> Head | None:
    """The head in ``data[:size]`` (which ends with the blank line), or None when the
    front server does not take the request."""
    raw = bytes(data[:size])
    target = _Target()
    parser = httptools.HttpRequestParser(target)
    try:
        parser.feed_data(raw)
    except httptools.HttpParserError:
        return None
    method = parser.get_method().decode("ascii", "replace")
    if parser.get_http_version() != "1.1":
        return None
    url = target.url
    path, _, query = url.partition(b"?")
    if not url.isascii() or b"%" in url or b"+" in query or b"#" in url:
        return None
    decoded = path.decode("ascii", "replace")
    if (method, decoded) not in ROUTES:
        return None
    # llhttp has checked the syntax, so the header lines are split here, after one
    # decode (as aiohttp decodes them), instead of a Python callback per header.
    lines = raw.decode("utf-8", "surrogateescape").split("\r\n")[1:-2]
    if len(lines) > MAX_HEADERS:
        return None
    pairs = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or name[:1] in _WHITESPACE:  # an obsolete folded line
            return None
        pairs.append((name, value.strip(" \t")))
    headers = CIMultiDict(pairs)
    lengths = headers.getall(_CONTENT_LENGTH, ("0",) if method != "POST" else ())
    if (
        len(lengths) != 1
        or not (lengths[0].isascii() and lengths[0].isdigit())
        or not headers.keys().isdisjoint(_UNUSUAL)
        or (method != "POST" and lengths[0] != "0")
    ):
        return None
    return Head(
        method=method,
        path=decoded,
        query=query.decode("ascii"),
        headers=CIMultiDictProxy(headers),
        size=size,
        length=int(lengths[0]),
        keep_alive=parser.should_keep_alive(),
    )
