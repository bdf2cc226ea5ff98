"""A purpose-built HTTP/1.1 client for the relay's upstream calls.

asyncio's Protocol API, llhttp (through httptools) parsing the responses, and nothing
the relay does not use: no cookies, redirects, decompression, auth or proxies.

Map of the package:

- :mod:`~cc_relay.http1.client`: :class:`Client`, ``request(method, url, headers,
  body)`` and the one stale-connection retry.
- :mod:`~cc_relay.http1.pool`: keep-alive connections per origin, idle cap and expiry,
  connecting (TCP, TLS with SNI and ALPN http/1.1).
- :mod:`~cc_relay.http1.connection`: one connection, as an ``asyncio.Protocol``: writes
  the request, feeds llhttp, pauses reading above the high-water mark.
- :mod:`~cc_relay.http1.response`: :class:`Response`, the streamed body.
- :mod:`~cc_relay.http1.head`, :mod:`~cc_relay.http1.origin`,
  :mod:`~cc_relay.http1.headers`: the request head's bytes, URL to origin and target,
  the response's header fields.
- :mod:`~cc_relay.http1.errors`: the exception tree, a leaf per phase.
- :mod:`~cc_relay.http1.config`: :class:`ClientConfig`, the limits.
- :mod:`~cc_relay.http1.select` and :mod:`~cc_relay.http1.fallback`: choosing between
  this client and aiohttp's (proxies, other URLs), behind the same API.
- :mod:`~cc_relay.http1.boundary`: errors to the relay's ``UpstreamFailure``.

Typical use::

    async with Client(config=ClientConfig(connect_timeout=10)) as client:
        async with asyncio.timeout(first_byte):
            response = await client.request("POST", url, headers, body)
        while chunk := await response.readany():
            ...
        response.release()
"""

from cc_relay.http1.boundary import upstream_failure
from cc_relay.http1.client import Client
from cc_relay.http1.config import ClientConfig
from cc_relay.http1.errors import (
    BodyError,
    ConnectError,
    ConnectTimeout,
    HeadError,
    HTTP1Error,
    InvalidBody,
    InvalidHead,
    RequestError,
    UsageError,
    WriteError,
)
from cc_relay.http1.fallback import AiohttpClient, AiohttpResponse
from cc_relay.http1.headers import Headers
from cc_relay.http1.response import Response
from cc_relay.http1.select import Route, open_client, route

__all__ = [
    "AiohttpClient",
    "AiohttpResponse",
    "BodyError",
    "Client",
    "ClientConfig",
    "ConnectError",
    "ConnectTimeout",
    "HTTP1Error",
    "HeadError",
    "Headers",
    "InvalidBody",
    "InvalidHead",
    "RequestError",
    "Response",
    "Route",
    "UsageError",
    "WriteError",
    "open_client",
    "route",
    "upstream_failure",
]
