"""Shutting down without silent cuts: refuse new work, let old work finish, then say so.

On SIGTERM the server stops listening and calls ``Drain.begin``: from then on every new
request (``/health`` included, so a load balancer looks elsewhere) gets a 503
``overloaded_error`` and its connection is closed. Requests already in flight get
``server.shutdown_grace`` seconds to finish. Whatever still runs after that is
interrupted: a stream that had started ends with a well-formed ``event: error``
(``overloaded_error``, which Claude Code retries), a request that had not answered yet
gets the 503. Only then are connections closed.

Each request runs inside an ``asyncio.timeout(None)`` scope that the drain can expire: the
interruption arrives as the scope's TimeoutError, so no code has to catch a bare
cancellation, and the per-request cost is one scope and a set entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from cc_relay.api.keys import EXCHANGE_KEY
from cc_relay.api.reply import REPLY_KEY, AiohttpReply, Reply
from cc_relay.dispatch import Exchange
from cc_relay.sse import error_event

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

RESTARTING = "The relay is restarting; retry the request."
#: Seconds an interrupted stream gets to take its closing ``event: error``.
FINAL_WRITE_TIMEOUT = 1.0


class Drain:
    """Requests in flight, and whether the relay is going away."""

    def __init__(self) -> None:
        self.draining = False
        self.interrupted = False
        self._scopes: set[asyncio.Timeout] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def in_flight(self) -> int:
        return len(self._scopes)

    def begin(self) -> None:
        """Refuse new requests from now on."""
        self.draining = True

    async def wait_idle(self, timeout: float) -> bool:
        """True once no request is in flight; False if ``timeout`` passed first."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    def interrupt(self) -> None:
        """End every request still in flight (each one answers for itself)."""
        self.interrupted = True
        now = asyncio.get_running_loop().time()
        for scope in self._scopes:
            scope.reschedule(now)

    def enter(self, scope: asyncio.Timeout) -> None:
        """Count a request in flight; ``interrupt`` expires its ``scope``."""
        self._scopes.add(scope)
        self._idle.clear()

    def leave(self, scope: asyncio.Timeout) -> None:
        self._scopes.discard(scope)
        if not self._scopes:
            self._idle.set()


DRAIN_KEY: web.AppKey[Drain] = web.AppKey("drain", Drain)


@web.middleware
async def drain_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    drain = request.app[DRAIN_KEY]
    if drain.draining:
        return _refused(request)
    scope = asyncio.timeout(None)
    drain.enter(scope)
    try:
        async with scope:
            return await handler(request)
    except TimeoutError:
        if not (drain.interrupted and scope.expired()):
            raise
        return await _interrupted(request)
    finally:
        drain.leave(scope)
        # The reply refers to its request: left there, the pair (and the request's
        # body) would wait for the cyclic collector, which runs rarely (server.tune_gc).
        request.pop(REPLY_KEY, None)


def _refused(request: web.Request) -> web.StreamResponse:
    reply = AiohttpReply(request)
    refuse(reply, request[EXCHANGE_KEY].request_id)
    assert reply.response is not None
    reply.response.force_close()
    return reply.response


def refuse(reply: Reply, request_id: str) -> None:
    """The 503 for a request that came too late, or was interrupted before answering;
    its connection closes."""
    reply.error(
        503,
        RESTARTING,
        request_id,
        error_type="overloaded_error",
        headers={"retry-after": "1", "connection": "close"},
    )


async def _interrupted(request: web.Request) -> web.StreamResponse:
    reply = request[REPLY_KEY] if REPLY_KEY in request else None
    if reply is None or not reply.started:
        return _refused(request)
    await end_interrupted(reply, request[EXCHANGE_KEY])
    assert reply.response is not None
    return reply.response


async def end_interrupted(reply: Reply, exchange: Exchange) -> None:
    """End a started stream the drain interrupted, in-band."""
    exchange.error = "interrupted by shutdown"
    try:
        async with asyncio.timeout(FINAL_WRITE_TIMEOUT):
            await reply.write(error_event("overloaded_error", RESTARTING))
            await reply.end()
    except (TimeoutError, ConnectionResetError, RuntimeError):
        pass  # a client that stopped reading cannot be told; a finished one needs nothing
