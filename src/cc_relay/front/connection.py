"""One client connection of the front server (see ``front/listener.py``).

For each request it reads the head (``front/head.py``), collects a ``Content-Length``
body, and, for a plain ``POST`` to ``/v1/messages`` or ``/v1/messages/count_tokens``,
checks it as the middleware does (the key with ``api/middleware.identify``, then
``api/guard.py``; a refusal is answered through ``api/middleware.failure``, the
middleware's own mapping) and answers through ``api/messages.py`` with a
``TransportReply``; ``HEAD /`` and ``GET /`` (Claude Code's probe) get ``api/info.py``'s
bytes. Anything else is handed over before a byte of it is answered: the transport is
given to an aiohttp ``RelayConnection`` with every byte of the request still unread,
and aiohttp serves the connection from then on.

Per connection this keeps the rules of ``api/connection.py`` and ``api/limits.py``: a
head within ``server.timeouts.head`` (408 and close), a body within its allowance
(408 and close), idle keep-alive closed after ``server.timeouts.keepalive``, a place in
``server.max_connections``. A client that goes away cancels its request (recorded as
499), as aiohttp's handler cancellation does; so does one that only half-closes (an
end of file ends the connection, as in aiohttp).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

from cc_relay.api.connection import head_timeout_answer
from cc_relay.api.drain import end_interrupted, refuse
from cc_relay.api.info import ROOT_BODY, ROOT_HEADERS
from cc_relay.api.limits import body_deadline, too_slow
from cc_relay.api.messages import Answer, count_tokens, messages, take
from cc_relay.api.middleware import CLIENT_CLOSED, CLOSE_LINGER, failure, identify, new_request_id
from cc_relay.api.parse import COUNT_TOKENS_PATH, MESSAGES_PATH
from cc_relay.dispatch import Exchange
from cc_relay.front.deadline import Deadline
from cc_relay.front.head import MAX_HEAD, Head, read_head
from cc_relay.front.reply import TransportReply

if TYPE_CHECKING:
    from cc_relay.front.listener import Front
    from cc_relay.runtime import Runtime

log = logging.getLogger("cc_relay.api")

#: Bytes kept from a client while its request is answered (a pipelined next request);
#: past this, reading pauses until the answer is out.
PAUSE_READING_AT = 262144
_ANSWERS: dict[str, Answer] = {MESSAGES_PATH: messages, COUNT_TOKENS_PATH: count_tokens}
ROOT = "/"


_END_OF_HEAD = b"\r\n\r\n"


class FrontConnection(asyncio.Protocol):
    """One client connection, until it is handed over to aiohttp."""

    def __init__(self, front: Front) -> None:
        self._front = front
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._remote: str | None = None
        self._buffer: bytes | bytearray = b""
        """Bytes from the start of the current request on: a chunk as it came while
        it is the only one (no copy), a bytearray once more arrive."""
        self._head: Head | None = None
        """The current request's head, once read; its body is still arriving."""
        self._body_started = 0.0
        self._task: asyncio.Task[None] | None = None
        self._reply: TransportReply | None = None
        self._deadline = Deadline(self._loop)
        """The head, body or keep-alive deadline in force (one timer that moves)."""
        self._idle = False
        """Between requests: the keep-alive timer runs, not the head timer."""
        self._writable: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._discarding = False
        self._gone = False
        self._handed_over = False

    # asyncio's callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike.
        self._transport = transport = cast(asyncio.Transport, transport)
        front = self._front
        front.limits.open += 1
        front.connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        self._remote = peer[0] if isinstance(peer, tuple) else None
        self._deadline.after(front.limits.head_timeout, self._head_late)

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        buffer = self._buffer
        if not buffer:
            self._buffer = data
        elif isinstance(buffer, bytearray):
            buffer += data
        else:
            self._buffer = buffer + data if len(buffer) < MAX_HEAD else bytearray(buffer) + data
        if self._task is not None:
            # Answering: keep what comes (a pipelined request) for afterwards.
            if len(self._buffer) > PAUSE_READING_AT:
                self._pause_reading()
            return
        if self._idle:
            self._idle = False
            self._deadline.after(self._front.limits.head_timeout, self._head_late)
        self._advance()

    def connection_lost(self, exc: Exception | None) -> None:
        self._gone = True
        self._deadline.stop()
        self._front.connections.discard(self)
        if not self._handed_over:
            self._front.limits.open -= 1
        if self._task is not None:
            self._task.cancel()
        self._wake_writer()

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = self._loop.create_future()

    def resume_writing(self) -> None:
        self._wake_writer()

    # writing, for TransportReply

    def write(self, *parts: bytes) -> None:
        transport = self._transport
        if self._gone or transport is None or transport.is_closing():
            raise ConnectionResetError("the client closed the connection")
        transport.writelines(parts)

    async def drained(self) -> None:
        """Wait while the client's socket is full."""
        if self._writable is not None:
            await self._writable
        if self._gone:
            raise ConnectionResetError("the client closed the connection")

    def close(self) -> None:
        if self._transport is not None and not self._handed_over:
            self._transport.close()

    # reading requests

    def _advance(self) -> None:
        head = self._head
        buffer = self._buffer
        if head is None:
            end = buffer.find(_END_OF_HEAD, 0, MAX_HEAD + len(_END_OF_HEAD))
            if end < 0:
                # Too long, or lines that end in a bare LF: aiohttp's to judge.
                if len(buffer) > MAX_HEAD or b"\n\n" in buffer:
                    self._hand_over()
                return
            head = read_head(buffer, end + len(_END_OF_HEAD))
            if head is None or not self._front.takes(head):
                self._hand_over()
                return
            self._deadline.clear()
            self._head = head
            self._body_started = self._loop.time()
        total = head.size + head.length
        if len(buffer) < total:
            if not self._deadline.armed:
                timeouts = self._front.holder.current.config.server.timeouts
                self._deadline.at(self._body_started + timeouts.body, self._body_check)
            return
        self._deadline.clear()
        self._head = None
        # Only the body is kept while the request is answered: at c=32 with 76 KB
        # bodies, a copy less of each.
        if isinstance(buffer, bytes):
            body, self._buffer = buffer[head.size : total], buffer[total:]
        else:
            with memoryview(buffer) as view:
                body = bytes(view[head.size : total])
            del buffer[:total]
        self._task = self._loop.create_task(self._serve(head, body))
        self._task.add_done_callback(self._answered)

    async def _serve(self, head: Head, body: bytes) -> None:
        holder = self._front.holder
        with holder.using() as runtime:
            exchange = Exchange(new_request_id(), head.method, head.path, holder.events)
            self._front.answered += 1
            reply = self._reply = TransportReply(
                self, keep_alive=head.keep_alive, head_only=head.method == "HEAD"
            )
            await self._answer(
                reply, exchange, lambda: self._respond(reply, runtime, exchange, head, body)
            )

    async def _respond(
        self, reply: TransportReply, runtime: Runtime, exchange: Exchange, head: Head, body: bytes
    ) -> None:
        """The middleware's checks in its order (the key, then the guard), then the
        answer. A refusal raises and ``_answer`` answers it, as the middleware does."""
        front = self._front
        credential = None
        if head.path != ROOT:  # the root probe is public
            credential = identify(
                exchange, head.headers, self._remote, runtime, front.holder.ledger
            )
        guard = front.guards.for_server(runtime.config.server)
        guard.check(head.method, head.headers, head.content_type)
        if head.path == ROOT:
            reply.send(200, ROOT_HEADERS, ROOT_BODY)
            return
        request = take(
            body,
            exchange,
            runtime,
            path=head.path,
            query=head.query,
            headers=head.headers,
            credential=credential,
        )
        await _ANSWERS[head.path](reply, runtime, request, exchange)

    async def _answer(
        self, reply: TransportReply, exchange: Exchange, work: Callable[[], Awaitable[None]]
    ) -> None:
        """``work``, inside the drain's scope, with the middleware's error answers."""
        drain = self._front.drain
        scope = asyncio.timeout(None)
        drain.enter(scope)
        try:
            try:
                async with scope:
                    await work()
            except TimeoutError:
                if not (drain.interrupted and scope.expired()):
                    raise
                if reply.started:
                    await end_interrupted(reply, exchange)
                else:
                    refuse(reply, exchange.request_id)
        except asyncio.CancelledError:
            self._client_gone(exchange)
            raise
        except ConnectionResetError:
            self._client_gone(exchange)
            return
        except Exception as exc:
            if reply.started or reply.finished:
                # Too late for an error answer: the connection closes (see _answered).
                log.exception(
                    "unhandled error in POST %s",
                    exchange.path,
                    extra={"request_id": exchange.request_id},
                )
                exchange.error = "internal error"
            else:
                error = failure(exc, exchange)
                reply.fail(error, exchange.request_id)
        finally:
            drain.leave(scope)
        exchange.finish(reply.status)

    @staticmethod
    def _client_gone(exchange: Exchange) -> None:
        exchange.error = exchange.error or "client disconnected"
        exchange.finish(CLIENT_CLOSED)

    def _answered(self, task: asyncio.Task[None]) -> None:
        self._task = None
        reply, self._reply = self._reply, None
        if self._handed_over or self._gone:
            return
        if not task.cancelled() and task.exception() is not None:
            log.error("front connection failed", exc_info=task.exception())
        if reply is None or not reply.finished or reply.close_after:
            self.close()  # the body was read whole: nothing to linger for
            return
        if self._reading_paused:
            self._reading_paused = False
            assert self._transport is not None
            self._transport.resume_reading()
        if self._buffer:
            self._deadline.after(self._front.limits.head_timeout, self._head_late)
            self._advance()
        else:
            self._idle = True
            self._deadline.after(self._front.limits.keepalive_timeout, self.close)

    # timers

    def _head_late(self) -> None:
        transport = self._transport
        if self._buffer and transport is not None and not transport.is_closing():
            transport.write(head_timeout_answer(self._front.limits.head_timeout))
        self.close()

    def _body_check(self) -> None:
        """The body's allowance grows with what arrived; once it is spent, a 408."""
        head = self._head
        assert head is not None
        holder = self._front.holder
        timeouts = holder.current.config.server.timeouts
        received = len(self._buffer) - head.size
        now = self._loop.time()
        allowed = body_deadline(self._body_started, received, timeouts)
        if now < allowed:
            self._deadline.at(allowed, self._body_check)
            return
        exchange = Exchange(new_request_id(), head.method, head.path, holder.events)
        error = too_slow(received, now - self._body_started)
        exchange.error = error.message
        reply = TransportReply(self, keep_alive=False)
        reply.fail(error, exchange.request_id)
        exchange.finish(error.status)
        self._linger()

    # ending

    def _linger(self) -> None:
        """End our side, drop what the client still sends, and close a moment later,
        so a client still sending does not reset the answer away (see
        api/middleware.py)."""
        transport = self._transport
        assert transport is not None
        self._discarding = True
        self._buffer = b""
        if transport.can_write_eof():
            transport.write_eof()
        self._loop.call_later(CLOSE_LINGER, self.close)

    def _hand_over(self) -> None:
        """Give the connection, with every unread byte, to aiohttp."""
        transport = self._transport
        assert transport is not None
        self._deadline.stop()
        self._handed_over = True
        front = self._front
        front.handed_over += 1
        front.connections.discard(self)
        front.limits.open -= 1  # the aiohttp connection counts itself
        if self._reading_paused:
            transport.resume_reading()
        successor = front.aiohttp_connection()
        transport.set_protocol(successor)
        successor.connection_made(transport)
        if self._writable is not None:
            successor.pause_writing()
        data, self._buffer = self._buffer, b""
        if data:
            successor.data_received(bytes(data))

    def _pause_reading(self) -> None:
        if not self._reading_paused and self._transport is not None:
            self._reading_paused = True
            self._transport.pause_reading()

    def _wake_writer(self) -> None:
        waiter, self._writable = self._writable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
