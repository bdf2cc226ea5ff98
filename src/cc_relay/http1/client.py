"""The client: one request in, one streamed response out, over pooled connections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Self

from cc_relay.http1.config import ClientConfig
from cc_relay.http1.errors import RequestError, UsageError
from cc_relay.http1.head import encode_head
from cc_relay.http1.origin import split_url
from cc_relay.http1.pool import Pool
from cc_relay.http1.response import Response

if TYPE_CHECKING:
    import ssl
    from types import TracebackType

    from cc_relay.http1.connection import Connection

__all__ = ["Client"]

_NO_CONFIG = ClientConfig()


class Client:
    """A purpose-built HTTP/1.1 client for one provider's upstream.

    Connections are pooled per origin and kept alive. A request on a pooled
    connection that the server had closed while it sat idle is retried once on a
    fresh connection, when no byte of an answer arrived and the request was written in
    full or not at all. Timeouts beyond connecting are the caller's: wrap ``request``
    (first byte) and each read (idle) in ``asyncio.timeout``.

    Args:
        config: pool limits and the connect timeout.
        tls: the TLS context for https origins; default: the system's trust store
            with ALPN http/1.1, built on first use in a thread.
    """

    def __init__(
        self, *, config: ClientConfig = _NO_CONFIG, tls: ssl.SSLContext | None = None
    ) -> None:
        self.config = config
        self._pool = Pool(config, tls=tls)
        self._closed = False

    @property
    def pool(self) -> Pool:
        return self._pool

    @property
    def closed(self) -> bool:
        return self._closed

    async def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> Response:
        """Send one request; return once the final status and headers are in.

        ``headers`` are written in order after ``Host`` and ``Content-Length`` (a
        ``Host`` among them replaces the URL's; ``Content-Length`` and
        ``Transfer-Encoding`` are the client's own and dropped). Raises a
        :class:`~cc_relay.http1.errors.RequestError` leaf for the phase that failed.
        """
        if self._closed:
            raise UsageError("http1: the client is closed")
        origin, host, target = split_url(url)
        head = encode_head(method, target, host, headers, len(body))
        head_only = method == "HEAD"
        conn = await self._pool.acquire(origin)
        try:
            return await _exchange(conn, head, body, head_only)
        except RequestError:
            if not conn.stale_failure:
                raise
        conn = await self._pool.connect(origin)
        return await _exchange(conn, head, body, head_only)

    async def close(self) -> None:
        """Close every connection. Idempotent; the client cannot be reopened."""
        self._closed = True
        self._pool.close()

    async def __aenter__(self) -> Self:
        if self._closed:
            raise UsageError("http1: the client is closed and cannot be reopened")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def _exchange(conn: Connection, head: bytes, body: bytes, head_only: bool) -> Response:
    response = Response(conn)
    conn.send(head, body, response, head_only=head_only)
    try:
        await response._wait_head()
    except BaseException:
        # Cancelled (a first-byte timeout) or failed: this connection is done.
        response.close()
        raise
    return response
