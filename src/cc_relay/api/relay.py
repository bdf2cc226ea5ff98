"""Writing a successful upstream answer to the client: whole, or event by event."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import orjson

from cc_relay import http1
from cc_relay.api.reply import Reply
from cc_relay.dispatch import Exchange, Opened
from cc_relay.dispatch.upstream import UpstreamResponse
from cc_relay.encoding import UndecodableStream
from cc_relay.headers import CONTENT_TYPE, REQUEST_ID, downstream_headers
from cc_relay.providers import Provider
from cc_relay.sse import error_event
from cc_relay.types import Usage

log = logging.getLogger("cc_relay.api")


def _headers(opened: Opened, request_id: str) -> dict[str, str]:
    headers = downstream_headers(opened.response.headers.items())
    headers.setdefault(REQUEST_ID, request_id)
    return headers


def whole(
    reply: Reply,
    opened: Opened,
    exchange: Exchange,
    *,
    client_model: str | None,
    extra_headers: dict[str, str] | None = None,
) -> None:
    """A non-streamed answer; its ``model`` is put back to the client's when renamed."""
    body = opened.first
    headers = {**_headers(opened, exchange.request_id), **(extra_headers or {})}
    # The body was decoded already (cc_relay.encoding): it is plain bytes here.
    readable = opened.response.content_type == "application/json"
    message = _json_object(body) if readable else None
    if message is not None:
        exchange.usage = _usage(message.get("usage"))
        _remember_signatures(message, opened.attempt.provider)
        if client_model is not None and message.get("model") not in (None, client_model):
            message["model"] = client_model
            body = orjson.dumps(message)
    opened.response.release()
    exchange.body("response", body)
    reply.send(opened.response.status, headers, body)


async def stream(
    reply: Reply,
    opened: Opened,
    exchange: Exchange,
    *,
    idle: float | None = None,
    extra_headers: dict[str, str] | None = None,
) -> None:
    """Forward events as they arrive; a broken or silent upstream ends in an
    ``event: error``. ``reply`` may have started already (to ping a waiting client)."""
    upstream = opened.response
    decoder = opened.decoder
    assert decoder is not None
    try:
        if not reply.started:
            headers = {**_headers(opened, exchange.request_id), **(extra_headers or {})}
            if upstream.content_type != "text/event-stream":
                # A translated stream (AWS event-stream, OpenAI chunks) leaves as SSE.
                headers[CONTENT_TYPE] = "text/event-stream; charset=utf-8"
            await reply.start(upstream.status, headers)
        exchange.mark_first_byte()
        exchange.body("response", opened.first)
        await reply.write(opened.first)
        while chunk := await _read(upstream, idle):
            try:
                out = decoder.feed(chunk)
            except UndecodableStream as exc:
                log.warning("%s", exc, extra={"request_id": exchange.request_id})
                break  # as good as a cut: the client gets the error event below
            if out:
                exchange.body("response", out)
                await reply.write(out)
        if not decoder.ended:
            where = f"provider {exchange.provider!r}"
            exchange.error = f"{where} stream broke off"
            log.warning(
                "%s: upstream stream ended before message_stop",
                where,
                extra={"request_id": exchange.request_id},
            )
            await reply.write(
                error_event(
                    "api_error",
                    f"The upstream connection ({where}) was lost mid-stream; retry the request.",
                )
            )
        await reply.end()
    except (ConnectionResetError, aiohttp.ClientConnectionResetError):
        exchange.error = "client disconnected"
    finally:
        exchange.usage = decoder.usage
        upstream.close()


async def _read(upstream: UpstreamResponse, idle: float | None) -> bytes:
    """The next chunk; b"" at a clean end, and when the upstream broke or went silent
    for ``idle`` seconds (upstream pings count as activity)."""
    try:
        async with asyncio.timeout(idle):
            return await upstream.content.readany()
    except (http1.RequestError, OSError):
        return b""


def _remember_signatures(message: dict[str, object], provider: Provider) -> None:
    content = message.get("content")
    for block in content if isinstance(content, list) else ():
        if isinstance(block, dict) and isinstance(block.get("signature"), str):
            provider.remember_signature(block["signature"])


def _json_object(body: bytes) -> dict[str, object] | None:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _usage(value: object) -> Usage:
    if not isinstance(value, dict):
        return Usage()
    return Usage(
        **{name: count for name in Usage.__slots__ if isinstance(count := value.get(name), int)}
    )
