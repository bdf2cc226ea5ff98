"""Where an answer goes, so the two hot routes are written once for both servers.

``POST /v1/messages`` and ``/v1/messages/count_tokens`` are served by the front server
(``cc_relay.front``) and, for requests it hands over, by aiohttp. Their code writes to a
``Reply``: a whole answer at once (``send``), or a stream (``start``, ``write`` per
chunk, ``end``). Once ``started`` is set the status and headers have left, so a failure
can only be told in-band, as an ``event: error``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping

from aiohttp import web

from cc_relay.errors import ApiError, error_body
from cc_relay.errors import error_type as type_for_status
from cc_relay.headers import CONTENT_TYPE, REQUEST_ID

JSON_TYPE = "application/json"


class Reply(abc.ABC):
    """One request's answer, whole or streamed."""

    __slots__ = ("started", "status")

    def __init__(self) -> None:
        self.status = 0
        """The status given (0 until an answer was)."""
        self.started = False
        """A streamed answer's head was sent: only in-band errors are possible now."""

    @abc.abstractmethod
    def send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        """Answer whole: status, headers and body at once."""

    @abc.abstractmethod
    async def start(self, status: int, headers: Mapping[str, str]) -> None:
        """Send a stream's status and headers; its body follows with ``write``."""

    @abc.abstractmethod
    async def write(self, data: bytes) -> None:
        """Send a piece of the stream, waiting while the client is slow to read.

        Raises:
            ConnectionResetError: the client is gone.
        """

    @abc.abstractmethod
    async def end(self) -> None:
        """End the stream."""

    def error(
        self,
        status: int,
        message: str,
        request_id: str,
        *,
        error_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer with an Anthropic error body."""
        body = error_body(error_type or type_for_status(status), message, request_id)
        self.send(
            status, {CONTENT_TYPE: JSON_TYPE, REQUEST_ID: request_id, **(headers or {})}, body
        )

    def fail(self, error: ApiError, request_id: str) -> None:
        """Answer with ``error``: its status, type, message and headers."""
        self.error(
            error.status,
            error.message,
            request_id,
            error_type=error.error_type,
            headers=error.headers,
        )


class AiohttpReply(Reply):
    """A Reply through aiohttp's response objects; the handler returns ``response``."""

    __slots__ = ("_request", "response")

    def __init__(self, request: web.Request) -> None:
        super().__init__()
        self._request = request
        self.response: web.StreamResponse | None = None

    def send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.response = web.Response(status=status, headers=headers, body=body)

    async def start(self, status: int, headers: Mapping[str, str]) -> None:
        response = web.StreamResponse(status=status, headers=headers)
        self.response = response
        await response.prepare(self._request)
        self.status = status
        self.started = True

    async def write(self, data: bytes) -> None:
        assert self.response is not None
        await self.response.write(data)

    async def end(self) -> None:
        assert self.response is not None
        await self.response.write_eof()


REPLY_KEY: web.RequestKey[AiohttpReply] = web.RequestKey("reply", AiohttpReply)
"""Set by the hot routes' aiohttp handlers, so the drain can end a started stream."""
