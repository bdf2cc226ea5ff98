"""Where a request goes: the origin (scheme, host, port) and the request target."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from cc_relay.http1.errors import UsageError

__all__ = ["Origin", "SCHEMES", "split_url"]

#: The schemes this client speaks, with their default ports.
SCHEMES: dict[str, int] = {"http": 80, "https": 443}


class Origin(NamedTuple):
    """One pool key: connections are shared only within an origin."""

    scheme: str
    host: str
    """The host name or address, without IPv6 brackets."""
    port: int

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def host_header(self) -> str:
        """``Host`` as aiohttp writes it: the port only when it is not the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if SCHEMES[self.scheme] == self.port else f"{host}:{self.port}"


@lru_cache(maxsize=1024)
def split_url(url: str) -> tuple[Origin, str, str]:
    """``(origin, Host header, request target)`` of an absolute http(s) URL; the
    target is the path and query as given (a fragment is dropped).

    Remembered: a provider sends every request to one of a few URLs, and this ran for
    each of them (about 1.8 µs). A URL that raises is not remembered."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise UsageError(f"http1: not an absolute URL: {url!r}")
    end = len(rest)
    for mark in "/?#":
        at = rest.find(mark, 0, end)
        if at >= 0:
            end = at
    origin = _origin(scheme, rest[:end])
    target = rest[end:].partition("#")[0]
    if not target.startswith("/"):
        target = "/" + target
    return origin, origin.host_header, target


@lru_cache(maxsize=256)
def _origin(scheme: str, netloc: str) -> Origin:
    lower = scheme.lower()
    if lower not in SCHEMES:
        raise UsageError(f"http1: unsupported scheme {scheme!r} (only http and https)")
    if not netloc.isascii():
        raise UsageError(f"http1: non-ASCII host {netloc!r} (needs IDNA encoding)")
    parts = urlsplit(f"{lower}://{netloc}")
    if parts.username is not None or parts.password is not None:
        raise UsageError("http1: credentials in the URL are not supported")
    try:
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"http1: bad port in {netloc!r}") from exc
    if not parts.hostname:
        raise UsageError(f"http1: no host in {netloc!r}")
    return Origin(lower, parts.hostname, port if port is not None else SCHEMES[lower])
