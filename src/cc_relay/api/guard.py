"""The browser guard: no web page may use the relay behind its user's back.

The relay listens on loopback and, by default, spends the configured provider keys for
anyone who can reach it. A web page can reach it: a "simple" cross-site ``POST`` with
``Content-Type: text/plain`` needs no CORS preflight, and with DNS rebinding (a name of
the attacker's that resolves to 127.0.0.1) the page can read the answers too. This is
Ollama's CVE-2024-28224. Three checks, on every route, close it by default:

- ``Host`` must be a loopback name or address, the relay's own listen host, or listed in
  ``server.allowed_hosts``: a rebinding page's requests carry the attacker's name.
- A browser's cross-site request (``Origin`` other than the relay's own, unless listed in
  ``server.allowed_origins``; or ``Sec-Fetch-Site: cross-site``) is refused.
- A ``POST`` must be ``application/json``, which no page can send cross-site without a
  preflight the relay never grants.

Clients that are not browsers (Claude Code, the SDKs, curl) send none of the browser
headers and a loopback ``Host``, so they never notice.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from multidict import CIMultiDictProxy

from cc_relay.api.keys import RUNTIME_KEY
from cc_relay.config import ServerConfig
from cc_relay.errors import ApiError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Any host or origin, for ``allowed_hosts`` / ``allowed_origins`` (an explicit opt-out).
ANY = "*"
JSON = "application/json"
SEC_FETCH_SITE = "sec-fetch-site"
#: Distinct ``Host`` values whose verdict is remembered; a flood of made-up names only
#: empties the cache, it never grows past this.
_CACHE_SIZE = 64
_UNSPECIFIED = frozenset({"", "0.0.0.0", "::"})


def host_name(value: str) -> str:
    """The name in a ``Host`` value, without port or IPv6 brackets, lower-cased."""
    if value.startswith("["):
        end = value.find("]")
        return value[1:end].lower() if end > 0 else value.lower()
    if value.count(":") == 1:
        value = value.partition(":")[0]
    return value.lower().rstrip(".")


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.partition("%")[0])
    except ValueError:
        return None


class Guard:
    """The three checks, built once from the server config."""

    def __init__(self, server: ServerConfig) -> None:
        listen = server.address.host.lower()
        self._any_host = ANY in server.allowed_hosts
        self._names = {"localhost", listen, *(host_name(h) for h in server.allowed_hosts)}
        # Bound to every address, the relay cannot list the addresses it is reached by.
        # An IP-literal Host cannot come from DNS rebinding (that needs a name), so it
        # is safe to accept then.
        self._any_ip = listen in _UNSPECIFIED
        self._any_origin = ANY in server.allowed_origins
        self._origins = {o.lower().rstrip("/") for o in server.allowed_origins}
        self._verdicts: dict[str, bool] = {}

    def host_allowed(self, value: str) -> bool:
        verdict = self._verdicts.get(value)
        if verdict is None:
            if len(self._verdicts) >= _CACHE_SIZE:
                self._verdicts.clear()
            verdict = self._verdicts[value] = self._judge_host(host_name(value))
        return verdict

    def _judge_host(self, name: str) -> bool:
        if self._any_host or name in self._names or name.endswith(".localhost"):
            return True
        ip = _ip(name)
        return ip is not None and (ip.is_loopback or self._any_ip)

    def origin_allowed(self, origin: str, host: str) -> bool:
        """Listed, or the relay's own origin (a page the relay itself served)."""
        origin = origin.lower().rstrip("/")
        if self._any_origin or origin in self._origins:
            return True
        scheme, sep, rest = origin.partition("://")
        return bool(sep) and scheme in ("http", "https") and rest == host.lower()

    def check(self, method: str, headers: CIMultiDictProxy[str], content_type: str) -> None:
        """Raise ApiError for a request a web page may have made behind the user's back.

        ``content_type`` is the media type of ``Content-Type``, lower-cased, without
        parameters (aiohttp's ``request.content_type``).
        """
        host = headers.get(hdrs.HOST, "")
        if host and not self.host_allowed(host):
            raise ApiError(
                403,
                f"Host {host!r} is not a name this relay answers to, so the request was "
                "refused (a web page may be reaching the relay through DNS rebinding). "
                "If you reach the relay under this name, add it to server.allowed_hosts.",
            )
        origin = headers.get(hdrs.ORIGIN)
        if origin is not None:
            if not self.origin_allowed(origin, host):
                raise ApiError(
                    403,
                    f"Requests from web pages are refused: origin {origin!r} is not the "
                    "relay's own. To let that page use the relay, add its origin to "
                    "server.allowed_origins.",
                )
        elif headers.get(SEC_FETCH_SITE) == "cross-site":
            raise ApiError(
                403,
                "Cross-site browser requests are refused (Sec-Fetch-Site: cross-site). "
                "To let a page use the relay, add its origin to server.allowed_origins.",
            )
        if method == hdrs.METH_POST and content_type != JSON:
            sent = headers.get(hdrs.CONTENT_TYPE)
            raise ApiError(
                415,
                f"Content-Type must be {JSON}, got {sent!r}: the relay only takes JSON "
                "request bodies.",
                error_type="invalid_request_error",
            )


class Guards:
    """The Guard for the server settings in force: rebuilt when a reload brings new ones
    (an identity check per request), so ``allowed_hosts`` / ``allowed_origins`` apply live."""

    __slots__ = ("_guard", "_server")

    def __init__(self) -> None:
        self._server: ServerConfig | None = None
        self._guard: Guard | None = None

    def for_server(self, server: ServerConfig) -> Guard:
        if server is not self._server or self._guard is None:
            self._server, self._guard = server, Guard(server)
        return self._guard


GUARD_KEY: web.AppKey[Guards] = web.AppKey("guard", Guards)


@web.middleware
async def guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    server = request[RUNTIME_KEY].config.server
    guard = request.app[GUARD_KEY].for_server(server)
    guard.check(request.method, request.headers, request.content_type)
    return await handler(request)
