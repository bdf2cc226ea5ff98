"""Put one behaviour on the wire: timing, cuts and compression live here, not in the dialects.

Each SSE event goes out in its own write so a relay sees the chunk boundaries a real provider
produces. A write that fails because the client left is reported through `on_disconnect`
and ends the response quietly; a deliberate cut aborts the transport and returns at once, so
aiohttp's own cleanup never mistakes it for a handler error.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from aiohttp import hdrs, web
from multidict import CIMultiDict

from tests.emulators._behaviours import Behaviour, Drop, Fail, Headers, Raw, Reply
from tests.emulators._dialect import AnthropicDialect
from tests.emulators._wire import accepts_gzip, sse_frame

__all__ = ["DELIBERATE_ABORT", "Responder", "abort"]


DELIBERATE_ABORT: Final = web.RequestKey("emulator_deliberate_abort", bool)
"""Marks a request whose connection the emulator itself cut, so it is not a disconnect."""


def abort(request: web.Request) -> None:
    """Drop the TCP connection with no closing chunk, like a crashed upstream."""
    request[DELIBERATE_ABORT] = True
    transport = request.transport
    if transport is not None:
        transport.abort()


async def play(
    request: web.Request,
    response: web.StreamResponse,
    reply: Reply,
    frames: Sequence[bytes],
    *,
    send: Callable[[bytes], Awaitable[None]],
    error_frame: Callable[[str, str], bytes],
    on_disconnect: Callable[[], None],
) -> web.StreamResponse:
    """Write a stream's ``frames`` as ``reply`` scripts it: drip between them, and stall,
    send an error or cut the connection after a given number of them. Every dialect's
    streams go through here; only the framing differs."""
    try:
        await response.prepare(request)
        for count in range(len(frames) + 1):
            if count:
                if reply.drip and count > 1:
                    await asyncio.sleep(reply.drip)
                await send(frames[count - 1])
            if reply.stall_after_events and reply.stall_after_events[0] == count:
                await asyncio.sleep(reply.stall_after_events[1])
            if reply.error_after_events and reply.error_after_events[0] == count:
                _, kind, message = reply.error_after_events
                await send(error_frame(kind, message))
                break
            if reply.cut_after_events == count:
                abort(request)
                return response
        await response.write_eof()
    except ConnectionResetError:
        on_disconnect()
    return response


def merge_headers(headers: CIMultiDict[str], overrides: Headers | None) -> CIMultiDict[str]:
    """Defaults first, then per-test overrides; a `None` override removes the header."""
    for name, value in (overrides or {}).items():
        if value is None:
            headers.popall(name, None)
        else:
            headers[name] = value
    return headers


class Responder:
    """Writes behaviours in one dialect."""

    def __init__(self, dialect: AnthropicDialect, on_disconnect: Callable[[], None]) -> None:
        self._dialect = dialect
        self._on_disconnect = on_disconnect

    async def dispatch(
        self, request: web.Request, behaviour: Behaviour, *, stream: bool, model: str
    ) -> web.StreamResponse:
        if isinstance(behaviour, Reply):
            if stream:
                return await self.stream(request, behaviour, model=model)
            return await self.json(request, behaviour, model=model)
        if isinstance(behaviour, Fail):
            return await self.fail(behaviour)
        if isinstance(behaviour, Drop):
            return await self.drop(request, behaviour)
        return await self.raw(request, behaviour)

    def _base(self, status: int) -> tuple[str, CIMultiDict[str]]:
        request_id = self._dialect.request_id()
        return request_id, CIMultiDict(self._dialect.headers(status=status, request_id=request_id))

    async def json(self, request: web.Request, reply: Reply, *, model: str) -> web.StreamResponse:
        dialect = self._dialect
        _, base = self._base(200)
        base[hdrs.CONTENT_TYPE] = dialect.json_content_type
        body = dialect.message_body(reply, dialect.resolve(reply), model=reply.model or model)
        if reply.gzip and accepts_gzip(request.headers.get(hdrs.ACCEPT_ENCODING)):
            body = gzip.compress(body)
            base[hdrs.CONTENT_ENCODING] = "gzip"
        headers = merge_headers(base, reply.headers)
        await asyncio.sleep(reply.stall_before_headers)
        if reply.cut_after_events is None:
            return web.Response(status=200, body=body, headers=headers)
        response = web.StreamResponse(status=200, headers=headers)
        response.content_length = len(body)
        try:
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
        except ConnectionResetError:
            self._on_disconnect()
            return response
        abort(request)
        return response

    async def stream(self, request: web.Request, reply: Reply, *, model: str) -> web.StreamResponse:
        dialect = self._dialect
        _, base = self._base(200)
        base.update(dialect.sse_headers())
        events = dialect.stream_events(reply, dialect.resolve(reply), model=reply.model or model)
        response = web.StreamResponse(status=200, headers=merge_headers(base, reply.headers))
        await asyncio.sleep(reply.stall_before_headers)
        return await play(
            request,
            response,
            reply,
            [sse_frame(*e) for e in events],
            send=response.write,
            error_frame=lambda kind, message: sse_frame(*dialect.error_event(kind, message)),
            on_disconnect=self._on_disconnect,
        )

    async def fail(self, fail: Fail) -> web.StreamResponse:
        request_id, base = self._base(fail.status)
        base[hdrs.CONTENT_TYPE] = self._dialect.json_content_type
        if fail.retry_after is not None:
            base[hdrs.RETRY_AFTER] = str(fail.retry_after)
        body = self._dialect.error_body(fail, request_id)
        await asyncio.sleep(fail.stall_before_headers)
        return web.Response(
            status=fail.status, body=body, headers=merge_headers(base, fail.headers)
        )

    async def drop(self, request: web.Request, drop: Drop) -> web.StreamResponse:
        await asyncio.sleep(drop.delay)
        abort(request)
        return web.Response(status=204)

    async def raw(self, request: web.Request, raw: Raw) -> web.StreamResponse:
        _, base = self._base(raw.status)
        base[hdrs.CONTENT_TYPE] = raw.content_type
        response = web.StreamResponse(status=raw.status, headers=merge_headers(base, raw.headers))
        try:
            await response.prepare(request)
            for index, chunk in enumerate(raw.chunks):
                if raw.drip and index:
                    await asyncio.sleep(raw.drip)
                await response.write(chunk)
            if raw.cut:
                abort(request)
                return response
            await response.write_eof()
        except ConnectionResetError:
            self._on_disconnect()
        return response
