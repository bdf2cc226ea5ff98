"""One client connection: how long it may take to send a head, and how many may be open.

aiohttp's own connection handler waits for a request head for as long as the keep-alive
timeout allows (an hour by default), so a client that sends its headers a byte at a time,
or nothing at all, holds a socket nearly forever. ``RelayConnection`` adds:

- a head timeout: from a connection's first moment, and from the first byte of each
  later request, the head must be complete within ``server.timeouts.head`` seconds, or
  the client gets a 408 ``timeout_error`` and the connection is closed;
- a connection count: past ``server.max_connections`` a connection is still read, but
  its request is answered 503 ``overloaded_error`` and closed (see api/limits.py);
- Anthropic-shaped answers to requests aiohttp cannot even parse (a bad request line,
  a ``Content-Encoding`` it cannot decode) instead of its plain-text pages.

Idle keep-alive connections are aiohttp's ``keepalive_timeout``; request bodies are timed
in api/limits.py, where the body is read.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web, web_protocol
from aiohttp.http_exceptions import ContentEncodingError
from aiohttp.web_protocol import RequestPayloadError

from cc_relay.api.errors import error_response
from cc_relay.api.middleware import new_request_id
from cc_relay.config import ServerConfig
from cc_relay.errors import error_body

log = logging.getLogger("cc_relay.api")

#: Longest request-line and header field the relay reads (a Claude Code header line, such
#: as a long ``anthropic-beta`` list, can pass aiohttp's default of 8190).
MAX_FIELD_SIZE = 65536

HEAD_TIMEOUT_MESSAGE = (
    "The request head did not arrive within {timeout:g} s (server.timeouts.head); "
    "the connection is closed."
)


def head_timeout_answer(timeout: float) -> bytes:
    """The whole 408 sent when a head took longer than ``timeout``; the connection closes."""
    message = HEAD_TIMEOUT_MESSAGE.format(timeout=timeout)
    body = error_body("timeout_error", message, new_request_id())
    return (
        b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
    )


class ConnectionLimits:
    """What every connection of one listener shares: the settings and the open count."""

    def __init__(self, server: ServerConfig) -> None:
        self.max_connections = server.max_connections
        self.head_timeout = server.timeouts.head
        self.keepalive_timeout = server.timeouts.keepalive
        self.open = 0


class RelayConnection(web_protocol.RequestHandler):
    """aiohttp's connection handler, with a head timeout and a place in the count."""

    def __init__(self, manager: web.Server, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(
            manager,
            keepalive_timeout=limits.keepalive_timeout,
            max_field_size=MAX_FIELD_SIZE,
            access_log=None,  # type: ignore[arg-type]  # None turns it off, as in AppRunner
            **kwargs,
        )
        self._limits = limits
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_request = False
        self._head_started = False
        self._counted = False
        self.over_capacity = False
        """Opened past ``max_connections``: its request gets a 503 and it closes."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        limits = self._limits
        limits.open += 1
        self._counted = True
        self.over_capacity = limits.open > limits.max_connections
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._counted:
            self._counted = False
            self._limits.open -= 1
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if data and not self._in_request:
            self._head_started = True
            if self._head_timer is None:
                self._arm_head_timer()
        super().data_received(data)

    def request_started(self) -> None:
        """The head is in: from here on the request's own timeouts apply."""
        self._in_request = True
        self._head_started = False
        self._disarm_head_timer()

    def request_finished(self) -> None:
        """The next byte to arrive starts the next head's clock."""
        self._in_request = False

    def _arm_head_timer(self) -> None:
        self._head_timer = self._loop.call_later(self._limits.head_timeout, self._head_expired)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        if self._in_request:
            return
        transport = self.transport
        if self._head_started and transport is not None and not transport.is_closing():
            transport.write(head_timeout_answer(self._limits.head_timeout))
        self.force_close()

    def log_exception(self, *args: Any, **kwargs: Any) -> None:
        # aiohttp drains an unread body after an early answer (a 403, a 415); a body
        # whose Content-Encoding lies then fails there. The client was answered already:
        # not worth a traceback in the relay's log.
        if isinstance(kwargs.get("exc_info"), RequestPayloadError):
            log.debug("unread request body did not decode: %s", kwargs["exc_info"])
            return
        super().log_exception(*args, **kwargs)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A request aiohttp could not parse, answered in Anthropic's shape."""
        if request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        log.debug("unparseable request from %s: %s", request.remote, exc or message)
        if isinstance(exc, ContentEncodingError):
            # The request is a placeholder here; aiohttp's message names the encoding.
            what = (exc.message or "").partition(". ")[0]
            status, message = (
                415,
                f"The request body's Content-Encoding is not supported by the relay ({what}); "
                "send the body uncompressed, or as gzip or deflate.",
            )
        elif status >= 500:
            message = "Internal relay error; see the relay log for details."
        else:
            message = f"Malformed HTTP request: {message or exc or 'bad request'}"
        response = error_response(status, message, new_request_id())
        response.force_close()
        return response
