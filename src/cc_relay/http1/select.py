"""Which client serves an upstream: the lean one, unless it cannot.

The lean :class:`~cc_relay.http1.Client` speaks plain HTTP/1.1 and TLS straight to the
origin. aiohttp's client (through :class:`~cc_relay.http1.fallback.AiohttpClient`)
keeps what it does not cover: a proxy that the environment applies to the upstream
(``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, lower case winning, minus
``NO_PROXY``, read as urllib reads them), and URLs it does not speak (another scheme,
credentials in the URL, a non-ASCII host). The environment is passed in, never read
from ``os.environ`` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cc_relay.http1.client import Client
from cc_relay.http1.config import ClientConfig
from cc_relay.http1.errors import UsageError
from cc_relay.http1.fallback import AiohttpClient
from cc_relay.http1.origin import split_url

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Route", "bypasses_proxy", "environment_proxies", "open_client", "route"]


@dataclass(frozen=True, slots=True)
class Route:
    """How an upstream is reached."""

    lean: bool
    """True: the lean client; False: aiohttp's."""
    reason: str
    """Why, in words (for a log line at start-up)."""
    proxy: str | None = None
    """The proxy aiohttp must use, when that is the reason."""


def environment_proxies(environ: Mapping[str, str]) -> dict[str, str]:
    """``{scheme: proxy URL}`` (``no`` holds ``NO_PROXY``) from ``*_proxy`` variables,
    as ``urllib.request.getproxies_environment`` reads them: any case, lower case
    winning, an empty lower-case value unsetting; ``HTTP_PROXY`` is ignored under CGI
    (``REQUEST_METHOD`` set) where a client could have sent it as a header."""
    proxies: dict[str, str] = {}
    for name, value in environ.items():
        lower = name.lower()
        if value and lower.endswith("_proxy"):
            proxies[lower[:-6]] = value
    if "REQUEST_METHOD" in environ:
        proxies.pop("http", None)
    for name, value in environ.items():
        if name.endswith("_proxy"):
            if value:
                proxies[name[:-6]] = value
            else:
                proxies.pop(name[:-6], None)
    return proxies


def bypasses_proxy(host: str, port: int, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` exempts ``host``, as urllib (and so aiohttp) decides: ``*``
    exempts all; otherwise each comma-separated name (leading dots ignored, with or
    without ``:port``) matches itself and its subdomains."""
    if no_proxy.strip() == "*":
        return True
    host = host.lower()
    with_port = f"{host}:{port}"
    for entry in no_proxy.split(","):
        name = entry.strip().lstrip(".").lower()
        if name and (
            name in (host, with_port) or host.endswith("." + name) or with_port.endswith("." + name)
        ):
            return True
    return False


def route(url: str, environ: Mapping[str, str]) -> Route:
    """Decide for one upstream base URL."""
    try:
        origin, _, _ = split_url(url)
    except UsageError as exc:
        return Route(False, f"the lean client cannot serve this URL ({exc})")
    proxies = environment_proxies(environ)
    proxy = proxies.get(origin.scheme) or proxies.get("all")
    if proxy is not None and not bypasses_proxy(origin.host, origin.port, proxies.get("no", "")):
        return Route(False, f"{origin.host} is reached through the proxy {proxy}", proxy)
    return Route(True, "direct HTTP/1.1")


def open_client(
    url: str,
    *,
    session: aiohttp.ClientSession,
    environ: Mapping[str, str],
    config: ClientConfig,
) -> Client | AiohttpClient:
    """The client for an upstream: the lean one, or ``session`` wrapped where the
    lean path does not cover the URL or a proxy applies."""
    chosen = route(url, environ)
    if chosen.lean:
        return Client(config=config)
    return AiohttpClient(session, proxy=chosen.proxy)
