"""A request head read with httptools (llhttp), and whether the front server takes it.

The front server answers only the plain case of its two routes: ``POST`` over HTTP/1.1,
a ``Content-Length`` body without ``Content-Encoding``, no ``Expect`` or ``Upgrade``, an
unencoded path and query, a head of ordinary size. Everything else (and everything it
cannot parse) goes to aiohttp unread, which answers it exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import httptools
from multidict import CIMultiDict, CIMultiDictProxy

from cc_relay.api.parse import COUNT_TOKENS_PATH, MESSAGES_PATH

#: The two routes the front server answers itself.
ROUTES = frozenset({MESSAGES_PATH, COUNT_TOKENS_PATH})
#: A head longer than this (Claude Code's is 1-2 KiB) is aiohttp's, with its own limits.
MAX_HEAD = 16384
MAX_HEADERS = 100
#: Request headers that make a request unusual enough for aiohttp to take it.
_UNUSUAL = ("transfer-encoding", "content-encoding", "expect", "upgrade")
_CONTENT_LENGTH = "content-length"


@dataclass(slots=True, frozen=True)
class Head:
    """A request the front server takes."""

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


class _Reader:
    """httptools' callbacks for one head."""

    __slots__ = ("pairs", "target")

    def __init__(self) -> None:
        self.target = b""
        self.pairs: list[tuple[str, str]] = []

    def on_url(self, url: bytes) -> None:
        self.target += url

    def on_header(self, name: bytes, value: bytes) -> None:
        # As aiohttp decodes them, so both servers see the same strings.
        self.pairs.append(
            (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
        )


def read_head(data: bytes | bytearray, size: int) -> Head | None:
    """The head in ``data[:size]`` (which ends with the blank line), or None when the
    front server does not take the request."""
    reader = _Reader()
    parser = httptools.HttpRequestParser(reader)
    try:
        parser.feed_data(bytes(data[:size]))
    except httptools.HttpParserError:
        return None
    if parser.get_method() != b"POST" or parser.get_http_version() != "1.1":
        return None
    target = reader.target
    path, _, query = target.partition(b"?")
    if not target.isascii() or b"%" in target or b"+" in query or b"#" in target:
        return None
    decoded = path.decode("ascii", "replace")
    if decoded not in ROUTES or len(reader.pairs) > MAX_HEADERS:
        return None
    headers = CIMultiDict(reader.pairs)
    lengths = headers.getall(_CONTENT_LENGTH, ())
    if (
        len(lengths) != 1
        or not (lengths[0].isascii() and lengths[0].isdigit())
        or any(h in headers for h in _UNUSUAL)
    ):
        return None
    return Head(
        path=decoded,
        query=query.decode("ascii", "replace"),
        headers=CIMultiDictProxy(headers),
        size=size,
        length=int(lengths[0]),
        keep_alive=parser.should_keep_alive(),
    )
