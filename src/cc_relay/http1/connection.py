"""One keep-alive connection: asyncio's Protocol API, responses parsed by llhttp.

A connection carries one request at a time. ``send`` writes the head and body in one
``writelines``; llhttp's callbacks build the head (1xx answers are skipped) and hand
body pieces to the :class:`~cc_relay.http1.response.Response`. Once the final message is
complete the connection goes back to its pool, unless the upstream said
``Connection: close``, the request is still being written, or anything was off.

Write progress comes from flow control: the write buffer limits are 0, so the
transport calls ``pause_writing`` whenever request bytes wait in user space and
``resume_writing`` once the kernel has them all. That tells "the request was fully
written" from "it broke off half-way" when the connection is lost.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol, cast

from httptools import (
    HttpParserCallbackError,
    HttpParserError,
    HttpParserUpgrade,
    HttpResponseParser,
)

from cc_relay.http1.errors import (
    BodyError,
    HeadError,
    HTTP1Error,
    InvalidBody,
    InvalidHead,
    WriteError,
)
from cc_relay.http1.headers import Headers

if TYPE_CHECKING:
    from cc_relay.http1.config import ClientConfig
    from cc_relay.http1.origin import Origin
    from cc_relay.http1.response import Response

__all__ = ["Connection", "Owner"]


class Owner(Protocol):
    """What a connection tells its pool."""

    def put(self, conn: Connection) -> None:
        """The connection finished a response cleanly and may carry another."""

    def forget(self, conn: Connection) -> None:
        """The connection is closed."""


class _Stray(InvalidBody):
    """Bytes after the end of the response: nothing asked for them."""


class Connection(asyncio.Protocol):
    """An HTTP/1.1 connection to one origin, owned by a pool."""

    def __init__(self, origin: Origin, config: ClientConfig, owner: Owner) -> None:
        self.origin = origin
        self.reused = False
        """Set when the pool hands it out a second time or later."""
        self.idle_since = 0.0
        self.closed = False
        self._config = config
        self._owner = owner
        self._transport: asyncio.Transport | None = None
        self._parser = HttpResponseParser(self)
        # aiohttp's leniencies for responses, so the two clients accept the same bytes.
        self._parser.set_dangerous_leniencies(
            lenient_headers=True,
            lenient_optional_cr_before_lf=True,
            lenient_spaces_after_chunk_size=True,
        )
        self._write_pending = False
        self._reading_paused = False
        self._start(None, head_only=False)

    def _start(self, response: Response | None, *, head_only: bool) -> None:
        """Per-exchange state, fresh for each request."""
        self._response = response
        self._head_only = head_only
        self._fields: list[tuple[str, str]] = []
        self._received = False
        self._head_bytes = 0
        self._head_done = False
        self._informational = False
        self._complete = False
        self._keep_alive = False
        self._read_all = False

    def __repr__(self) -> str:
        scheme, host, port = self.origin
        state = "closed" if self.closed else "busy" if self._response else "idle"
        return f"<http1.Connection {scheme}://{host}:{port} {state}>"

    # -- what the pool and the client call ---------------------------------------------

    @property
    def usable(self) -> bool:
        transport = self._transport
        return not self.closed and transport is not None and not transport.is_closing()

    @property
    def stale_failure(self) -> bool:
        """A failure that a fresh connection may retry: this connection came from the
        pool, no byte of the answer arrived, and the request was either written in
        full or not at all (never half-sent)."""
        return self.reused and not self._received and not self._write_pending

    def send(self, head: bytes, body: bytes, response: Response, *, head_only: bool) -> None:
        """Write one request; its answer goes to ``response``."""
        self._start(response, head_only=head_only)
        transport = self._transport
        if transport is None or not self.usable:
            self._lost(None)
            return
        if body:
            transport.writelines((head, body))
        else:
            transport.write(head)
        if transport.get_write_buffer_size():
            self._write_pending = True

    def resume_reading(self) -> None:
        """The consumer drained the buffer."""
        if self._reading_paused and self._transport is not None:
            self._reading_paused = False
            self._transport.resume_reading()

    def read_all(self) -> None:
        """The consumer wants the whole body: no pausing for it."""
        self._read_all = True
        self.resume_reading()

    def close(self) -> None:
        """Close gracefully (idle expiry, pool full, client closed)."""
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Drop at once (a body left unread, an error, a cancelled request)."""
        self.closed = True
        response, self._response = self._response, None
        if response is not None:
            response._fail(BodyError("http1: the connection was closed by the client"))
        if self._transport is not None:
            self._transport.abort()

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike.
        self._transport = stream = cast(asyncio.Transport, transport)
        stream.set_write_buffer_limits(high=0)

    def pause_writing(self) -> None:
        self._write_pending = True

    def resume_writing(self) -> None:
        self._write_pending = False

    def data_received(self, data: bytes) -> None:
        response = self._response
        if response is None:
            self.abort()  # bytes while idle: nothing asked for them
            return
        self._received = True
        if not self._head_done:
            self._head_bytes += len(data)
            if self._head_bytes > self._config.max_head_size:
                limit = self._config.max_head_size
                self._broken(InvalidHead(f"http1: no complete head within {limit} bytes"))
                return
        try:
            self._parser.feed_data(data)
        except HttpParserCallbackError as exc:
            cause = exc.__context__
            self._broken(cause if isinstance(cause, HTTP1Error) else self._invalid(exc))
        except HttpParserUpgrade as exc:
            self._broken(InvalidHead(f"http1: the upstream switched protocols: {exc}"))
        except HttpParserError as exc:
            self._broken(self._invalid(exc))
        else:
            if self._complete:
                self._finished()

    def eof_received(self) -> bool | None:
        response = self._response
        if response is not None and self._head_done and not self._complete:
            headers = response.headers
            if (
                "content-length" not in headers
                and "chunked" not in headers.get("transfer-encoding", "").lower()
            ):
                # No length and not chunked: the body runs until the upstream closes.
                self._complete = True
                response._finish()
                self._response = None
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._owner.forget(self)
        if self._response is not None:
            self._lost(exc)

    # -- llhttp callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._complete:
            raise _Stray("http1: bytes after the end of the response")
        self._fields = []

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._head_done:
            return  # a trailer field after a chunked body: dropped, as aiohttp does
        limit = self._config.max_field_size
        if len(name) > limit or len(value) > limit:
            raise InvalidHead(f"http1: a header field is over {limit} bytes")
        fields = self._fields
        if len(fields) >= self._config.max_headers:
            raise InvalidHead(f"http1: more than {self._config.max_headers} header fields")
        # As aiohttp: llhttp keeps trailing blanks of a value; NUL is never allowed.
        text = value.rstrip(b" \t").decode("utf-8", "surrogateescape")
        if "\x00" in text:
            raise InvalidHead("http1: NUL in a header value")
        fields.append((name.decode("utf-8", "surrogateescape"), text))

    def on_headers_complete(self) -> None:
        parser = self._parser
        status = parser.get_status_code()
        if status < 200:
            if status == 101:
                raise InvalidHead("http1: 101 Switching Protocols is not supported")
            self._informational = True
            return
        response = self._response
        assert response is not None
        self._head_done = True
        # Asked here: llhttp resets its flags once the message is complete.
        self._keep_alive = parser.should_keep_alive()
        response._set_head(status, Headers(self._fields), parser.get_http_version())
        if self._head_only:
            # llhttp cannot be told a HEAD answer has no body; end here and never
            # reuse the connection (its parser expects body bytes).
            self._complete = True
            response._finish()

    def on_body(self, body: bytes) -> None:
        response = self._response
        if response is None or self._complete:
            return
        if (
            response._feed(body) > self._config.high_water
            and not self._read_all
            and not self._reading_paused
            and self._transport is not None
        ):
            self._reading_paused = True
            self._transport.pause_reading()

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        if self._complete:
            return
        self._complete = True
        response = self._response
        if response is not None:
            response._finish()

    # -- endings -----------------------------------------------------------------------

    def _finished(self) -> None:
        """The final message is in: pool the connection, or close it."""
        self._response = None
        reusable = (
            self.usable and not self._head_only and not self._write_pending and self._keep_alive
        )
        if not reusable:
            self.close()
            return
        self.resume_reading()
        self._owner.put(self)

    def _invalid(self, exc: Exception) -> HTTP1Error:
        kind = InvalidBody if self._head_done else InvalidHead
        return kind(f"http1: malformed response: {exc}")

    def _broken(self, error: HTTP1Error) -> None:
        response, self._response = self._response, None
        if response is not None and not self._complete:
            response._fail(error)
        self.abort()

    def _lost(self, exc: Exception | None) -> None:
        response, self._response = self._response, None
        if response is None or self._complete:
            return
        why = f": {type(exc).__name__}: {exc}" if exc is not None else ""
        error: HTTP1Error
        if self._head_done:
            error = BodyError(f"http1: the connection was lost mid-body{why}")
        elif self._received:
            error = HeadError(f"http1: the connection was lost mid-head{why}")
        elif self._write_pending:
            error = WriteError(f"http1: the connection was lost while writing{why}")
        else:
            error = HeadError(f"http1: the connection was lost before any answer{why}")
        error.__cause__ = exc
        response._fail(error)
