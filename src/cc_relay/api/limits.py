"""What one request may hold: a connection past the cap is refused, a body must keep up.

The body is read here, before any handler, so every route gets the same rule: it must
arrive within ``server.timeouts.body`` seconds plus one second per ``body_min_rate``
bytes received. A 32 MiB body on a slow link earns the time it needs; a client that
trickles a byte now and then is cut off with a 408 once its allowance runs out. aiohttp
keeps the bytes, so a handler's own ``request.read()`` returns them at once.

Only a timer per request is scheduled, and it fires only for bodies slower than
``body`` seconds: the usual request pays for one ``call_at`` and its cancel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from cc_relay.api.connection import RelayConnection
from cc_relay.api.keys import RUNTIME_KEY
from cc_relay.config.schema import ServerTimeouts
from cc_relay.errors import ApiError
from cc_relay.headers import CONTENT_ENCODING

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def limits_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    connection = request.protocol
    if not isinstance(connection, RelayConnection):  # served by a plain aiohttp runner
        return await _serve(request, handler)
    if connection.over_capacity:
        raise ApiError(
            503,
            "The relay has too many open connections (server.max_connections); retry shortly.",
            error_type="overloaded_error",
            headers={"retry-after": "1", "connection": "close"},
        )
    connection.request_started()
    try:
        return await _serve(request, handler)
    finally:
        connection.request_finished()


async def _serve(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.body_exists:
        await read_body(request, request[RUNTIME_KEY].config.server.timeouts)
    return await handler(request)


async def read_body(request: web.Request, timeouts: ServerTimeouts) -> bytes:
    """The whole body, within the time its size allows.

    Raises:
        ApiError: 408 when it came too slowly, 400 when its encoding was broken.
    """
    content = request.content
    if content.is_eof() and content.exception() is None:
        # All of it is in already (the usual case: a body arrives with its head); no
        # timer to set for bytes that cannot be late.
        return await request.read()
    loop = asyncio.get_running_loop()
    start = loop.time()
    scope = asyncio.timeout(None)
    timer: asyncio.TimerHandle

    def check() -> None:
        nonlocal timer
        allowed = body_deadline(start, content.total_bytes, timeouts)
        if loop.time() >= allowed:
            scope.reschedule(loop.time())
        else:
            timer = loop.call_at(allowed, check)

    timer = loop.call_at(start + timeouts.body, check)
    try:
        async with scope:
            return await request.read()
    except TimeoutError:
        if not scope.expired():
            raise
        raise too_slow(content.total_bytes, loop.time() - start) from None
    except RequestPayloadError:
        # Nothing more of this body can be read: the connection closes after the answer.
        encoding = request.headers.get(CONTENT_ENCODING, "none")
        raise ApiError(
            400,
            f"The request body could not be decoded as its Content-Encoding ({encoding}) "
            "says; send it uncompressed, or compressed as declared.",
            headers={"connection": "close"},
        ) from None
    finally:
        timer.cancel()


def body_deadline(start: float, received: int, timeouts: ServerTimeouts) -> float:
    """When a body that began at ``start`` is late, having sent ``received`` bytes."""
    return start + timeouts.body + received / timeouts.body_min_rate


def too_slow(received: int, elapsed: float) -> ApiError:
    """The 408 for a body past its deadline; the connection closes after it."""
    return ApiError(
        408,
        f"The request body arrived too slowly: {received} bytes in {elapsed:.0f} s "
        "(server.timeouts.body and body_min_rate).",
        error_type="timeout_error",
        headers={"connection": "close"},
    )
