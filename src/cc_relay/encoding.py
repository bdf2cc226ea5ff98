"""Upstream answers that arrive compressed although the relay asked for identity.

The relay sends ``Accept-Encoding: identity`` and its upstream session does not
decompress (bytes pass through untouched, see DESIGN.md). An upstream that compresses
anyway would otherwise have its gzip bytes cut at ``\\n\\n`` as if they were text, and a
plain-text ``event: error`` appended under the gzip header. So the relay decodes every
upstream body before reading it, and never forwards a ``Content-Encoding``
(cc_relay.headers). gzip and deflate are decoded with zlib; brotli and zstd only when
their library is installed, which the relay does not require. Anything else fails the
attempt, as an upstream failure, before any byte reached the client.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from cc_relay.errors import UpstreamCutError
from cc_relay.headers import CONTENT_ENCODING
from cc_relay.sse import StreamDecoder
from cc_relay.types import Usage

_IDENTITY = frozenset({"", "identity"})
#: zlib's window bits: 16 + MAX_WBITS is gzip only, MAX_WBITS a zlib-wrapped deflate.
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class UndecodableStream(UpstreamCutError):
    """A compressed stream turned out to be corrupt part-way through."""


class UnsupportedEncoding(UpstreamCutError):
    """The upstream compressed its answer in a way the relay cannot decode."""


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _brotli() -> Any:
    return _optional("brotli") or _optional("brotlicffi")


def _zstd() -> Any:
    return _optional("zstandard")


def _encoding(headers: Mapping[str, str]) -> str:
    return headers.get(CONTENT_ENCODING, "").strip().lower()


def decompressor(encoding: str, where: str) -> Callable[[bytes], bytes]:
    """A function from compressed chunks to plain bytes, fed in order.

    Raises:
        UnsupportedEncoding: the relay has no decoder for ``encoding``.
    """
    if encoding in _WBITS:
        return _zlib_feed(encoding)
    if encoding == "br" and (brotli := _brotli()) is not None:
        return brotli.Decompressor().process  # type: ignore[no-any-return]
    if encoding == "zstd" and (zstd := _zstd()) is not None:
        return zstd.ZstdDecompressor().decompressobj().decompress  # type: ignore[no-any-return]
    raise UnsupportedEncoding(
        f"{where} answered with Content-Encoding {encoding!r} although the relay asked "
        "for identity, and the relay cannot decode it"
    )


def _zlib_feed(encoding: str) -> Callable[[bytes], bytes]:
    wbits = _WBITS[encoding]
    inflater = zlib.decompressobj(wbits)
    first = True

    def feed(chunk: bytes) -> bytes:
        nonlocal inflater, first
        if first and encoding == "deflate" and chunk[:1] and (chunk[0] & 0x0F) != 8:
            # Some servers send raw deflate without the zlib wrapper (as browsers accept).
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        first = False
        return inflater.decompress(chunk)

    return feed


def plain_body(headers: Mapping[str, str], body: bytes, where: str) -> bytes:
    """A whole upstream body, decoded as its ``Content-Encoding`` says.

    Raises:
        UnsupportedEncoding: an encoding the relay cannot decode, or corrupt bytes.
    """
    encoding = _encoding(headers)
    if encoding in _IDENTITY:
        return body
    try:
        return decompressor(encoding, where)(body)
    except zlib.error as exc:
        raise UnsupportedEncoding(f"{where} sent a corrupt {encoding} body: {exc}") from None


class Decompressing:
    """A StreamDecoder in front of another: decompress, then let the inner one cut."""

    def __init__(self, inner: StreamDecoder, feed: Callable[[bytes], bytes], what: str) -> None:
        self._inner = inner
        self._feed = feed
        self._what = what

    @property
    def usage(self) -> Usage:
        return self._inner.usage

    @usage.setter
    def usage(self, value: Usage) -> None:
        self._inner.usage = value

    @property
    def ended(self) -> bool:
        return self._inner.ended

    @ended.setter
    def ended(self, value: bool) -> None:
        self._inner.ended = value

    def feed(self, chunk: bytes) -> bytes:
        try:
            plain = self._feed(chunk)
        except Exception as exc:
            raise UndecodableStream(f"{self._what} is corrupt: {exc}") from None
        return self._inner.feed(plain) if plain else b""


def plain_stream(headers: Mapping[str, str], decoder: StreamDecoder, where: str) -> StreamDecoder:
    """``decoder`` itself for an uncompressed stream, else one that decompresses first.

    Raises:
        UnsupportedEncoding: an encoding the relay cannot decode.
    """
    encoding = _encoding(headers)
    if encoding in _IDENTITY:
        return decoder
    what = f"the {encoding} stream of {where}"
    return Decompressing(decoder, decompressor(encoding, where), what)
