"""Keep-alive connections per origin: a few idle ones kept, old ones expired.

Idle connections of an origin form a stack: the most recently used is handed out
first (least likely to have been closed by the server), and the oldest sit at the
bottom where one timer expires them.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING

from cc_relay.http1.connection import Connection
from cc_relay.http1.errors import ConnectError, ConnectTimeout, UsageError

if TYPE_CHECKING:
    from cc_relay.http1.config import ClientConfig
    from cc_relay.http1.origin import Origin

__all__ = ["Pool", "default_tls_context"]


def default_tls_context() -> ssl.SSLContext:
    """The system's trust store, hostname checks, and ALPN offering http/1.1 only.
    Reads certificate files: call it off the event loop."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


class Pool:
    """Open connections and the idle ones, per origin."""

    def __init__(self, config: ClientConfig, *, tls: ssl.SSLContext | None = None) -> None:
        self._config = config
        self._tls = tls
        self._idle: dict[Origin, list[Connection]] = {}
        self._open: set[Connection] = set()
        self._sweep_at: asyncio.TimerHandle | None = None
        self._closed = False

    @property
    def open_count(self) -> int:
        """Connections open now, idle or carrying a request."""
        return len(self._open)

    @property
    def idle_count(self) -> int:
        return sum(len(stack) for stack in self._idle.values())

    async def acquire(self, origin: Origin) -> Connection:
        """An idle connection to ``origin`` that is still open, else a new one."""
        stack = self._idle.get(origin)
        if stack:
            expired = asyncio.get_running_loop().time() - self._config.idle_expiry
            while stack:
                conn = stack.pop()
                if conn.usable and conn.idle_since > expired:
                    conn.reused = True
                    return conn
                conn.close()
        return await self.connect(origin)

    async def connect(self, origin: Origin) -> Connection:
        """A new connection (TCP, then TLS for https), within the connect timeout."""
        if self._closed:
            raise UsageError("http1: the client is closed")
        loop = asyncio.get_running_loop()
        tls = await self._tls_context() if origin.tls else None
        try:
            async with asyncio.timeout(self._config.connect_timeout):
                _, conn = await loop.create_connection(
                    lambda: Connection(origin, self._config, self),
                    origin.host,
                    origin.port,
                    ssl=tls,
                    server_hostname=origin.host if tls is not None else None,
                )
        except TimeoutError as exc:
            raise ConnectTimeout(
                f"http1: no connection to {origin.host}:{origin.port} "
                f"within {self._config.connect_timeout:g} s"
            ) from exc
        except OSError as exc:
            raise ConnectError(
                f"http1: cannot connect to {origin.host}:{origin.port}: {exc.strerror or exc}"
            ) from exc
        if self._closed:
            conn.abort()
            raise UsageError("http1: the client is closed")
        self._open.add(conn)
        return conn

    def put(self, conn: Connection) -> None:
        """Take back a connection that finished a response cleanly."""
        stack = self._idle.setdefault(conn.origin, [])
        if self._closed or len(stack) >= self._config.max_idle:
            conn.close()
            return
        loop = asyncio.get_running_loop()
        conn.idle_since = loop.time()
        stack.append(conn)
        if self._sweep_at is None:
            self._sweep_at = loop.call_at(conn.idle_since + self._config.idle_expiry, self._sweep)

    def forget(self, conn: Connection) -> None:
        """A connection closed (by either side)."""
        self._open.discard(conn)
        stack = self._idle.get(conn.origin)
        if stack and conn in stack:
            stack.remove(conn)

    def close(self) -> None:
        """Close every connection; responses still being read break off."""
        self._closed = True
        if self._sweep_at is not None:
            self._sweep_at.cancel()
            self._sweep_at = None
        self._idle.clear()
        for conn in list(self._open):
            conn.abort()

    def _sweep(self) -> None:
        self._sweep_at = None
        loop = asyncio.get_running_loop()
        expired = loop.time() - self._config.idle_expiry
        oldest: float | None = None
        for stack in self._idle.values():
            keep = 0
            while keep < len(stack) and stack[keep].idle_since <= expired:
                keep += 1
            for conn in stack[:keep]:
                conn.close()
            del stack[:keep]
            if stack and (oldest is None or stack[0].idle_since < oldest):
                oldest = stack[0].idle_since
        if oldest is not None:
            self._sweep_at = loop.call_at(oldest + self._config.idle_expiry, self._sweep)

    async def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = await asyncio.to_thread(default_tls_context)
        return self._tls
