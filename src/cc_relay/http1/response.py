"""One response: status and headers once the head is in, then the body as it arrives.

The body is kept as the pieces the parser produced; ``readany`` hands over all that is
buffered (one piece as is, several joined once), ``read`` the whole body. Reading is
what lets the connection read on: above the high-water mark the socket is paused until
the consumer drains the buffer.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Self

from cc_relay.http1.errors import UsageError
from cc_relay.http1.headers import Headers

if TYPE_CHECKING:
    from types import TracebackType

    from cc_relay.http1.connection import Connection

__all__ = ["Response"]

#: aiohttp's ``content_type`` when the upstream names none.
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_NO_HEADERS = Headers([])


class Response:
    """An upstream response being received; mirrors the parts of aiohttp's
    ``ClientResponse`` the relay uses (``status``, ``headers``, ``content_type``,
    ``read``, ``content.readany``, ``release``, ``close``)."""

    __slots__ = (
        "_body",
        "_chunks",
        "_conn",
        "_done",
        "_error",
        "_released",
        "_size",
        "_waiter",
        "headers",
        "reason",
        "status",
        "version",
    )

    def __init__(self, conn: Connection) -> None:
        self.status = 0
        """The final status (never a 1xx: those are skipped)."""
        self.reason = ""
        self.version = "1.1"
        self.headers = _NO_HEADERS
        self._conn: Connection | None = conn
        self._chunks: list[bytes] = []
        self._size = 0
        self._done = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._body: bytes | None = None
        self._released = False

    def __repr__(self) -> str:
        return f"<http1.Response {self.status} {self.content_type}>"

    # -- what the consumer reads -------------------------------------------------------

    @property
    def content_type(self) -> str:
        """The media type, lower-cased and without parameters, as aiohttp gives it."""
        raw = self.headers.get("content-type")
        if raw is None:
            return DEFAULT_CONTENT_TYPE
        media = raw.partition(";")[0].strip().lower()
        return media if media.count("/") == 1 else "text/plain"

    @property
    def content(self) -> Self:
        """The body stream (this object), so ``response.content.readany()`` reads as
        it does with aiohttp."""
        return self

    @property
    def complete(self) -> bool:
        """The whole body has been received (it may still be buffered here)."""
        return self._done

    async def readany(self) -> bytes:
        """What has arrived and not been read yet, waiting for some if none has;
        b"" at the clean end. A broken body raises its error after the bytes that
        did arrive."""
        while True:
            chunks = self._chunks
            if chunks:
                self._chunks = []
                self._size = 0
                conn = self._conn
                if conn is not None:
                    conn.resume_reading()
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
            if self._error is not None:
                raise self._error
            if self._done:
                return b""
            self._check_open()
            await self._wait()

    async def read(self) -> bytes:
        """The rest of the body, whole (kept: a second call answers the same)."""
        if self._body is not None:
            return self._body
        conn = self._conn
        if conn is not None:
            conn.read_all()
        while not self._done and self._error is None:
            self._check_open()
            await self._wait()
        if self._error is not None:
            raise self._error
        chunks, self._chunks, self._size = self._chunks, [], 0
        self._body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return self._body

    def release(self) -> None:
        """Done with the response. A body received in full has already given its
        connection back to the pool; otherwise the connection is closed."""
        self.close()

    def close(self) -> None:
        """Stop receiving: a connection still carrying this body is closed, never
        pooled. Idempotent."""
        self._released = True
        conn, self._conn = self._conn, None
        if conn is not None and not self._done:
            conn.abort()
        self._wake()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    # -- what the connection feeds in --------------------------------------------------

    def _set_head(self, status: int, headers: Headers, version: str) -> None:
        self.status = status
        self.headers = headers
        self.version = version
        self._wake()

    def _feed(self, data: bytes) -> int:
        """Buffer body bytes; answers how many are buffered now."""
        self._chunks.append(data)
        self._size += len(data)
        if self._waiter is not None:
            self._wake()
        return self._size

    def _finish(self) -> None:
        self._done = True
        self._conn = None
        self._wake()

    def _fail(self, error: BaseException) -> None:
        if not self._done and self._error is None:
            self._error = error
            self._conn = None
            self._wake()

    @property
    def _head_ready(self) -> bool:
        return self.status != 0

    async def _wait_head(self) -> None:
        while self.status == 0:
            if self._error is not None:
                raise self._error
            self._check_open()
            await self._wait()

    # -- waiting -----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._released:
            raise UsageError("http1: the response was released; its body is gone")

    async def _wait(self) -> None:
        self._waiter = waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
